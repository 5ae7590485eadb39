// The Pix2Pix Sketch node's canvas in ComfyUI: the pack's sketch pad (pix2pix_core/web/sketch_pad.js, served by
// the pack at /pix2pix/web/, the same source `pix2pix draw` serves). The drawing is the node's "drawing" value, a
// PNG data URL written when a stroke ends: saved in the workflow, sent as it is when the prompt is queued (no
// upload racing the queue), and one change per stroke for Run (On Change). Live mode (off by default, kept in
// the node's properties) posts each finished stroke to POST /pix2pix/live and shows the translation beside it.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { LiveClient, SketchPad, newClientId } from "../../pix2pix/web/sketch_pad.js";

const PAD_MIN_HEIGHT = 330;
let palettes = null; // fetched once when the extension starts, before any node is made

function widget(node, name) {
  return node.widgets.find((w) => w.name === name);
}

async function translatorNames() {
  const response = await api.fetchApi("/pix2pix/models");
  return response.ok ? (await response.json()).models.map((model) => model.name) : [];
}

function noticeChange() {
  // what a mouse-up on the graph does: the change tracker sees the new value (Run (On Change) queues on it)
  app.extensionManager?.workflow?.activeWorkflow?.changeTracker?.checkState();
}

function liveControls(node, pad) {
  // kept in the node's properties (saved with the workflow, never sent) once the user changes them, so a
  // workflow that is only opened stays unmodified
  const settings = { on: false, model: "", ...node.properties.pix2pix_live };
  const keep = () => {
    node.properties.pix2pix_live = { ...settings };
  };
  const toggle = Object.assign(document.createElement("input"), { type: "checkbox", title: "live translation" });
  toggle.className = "pix2pix-sketch-live";
  const picker = Object.assign(document.createElement("select"), { title: "the translator live mode runs" });
  picker.className = "pix2pix-sketch-live-model";
  const label = Object.assign(document.createElement("label"), { textContent: "live " });
  label.append(toggle);
  pad.toolbar.append(label, picker);
  const live = new LiveClient({
    url: api.apiURL("/pix2pix/live"),
    client: newClientId(),
    onResult: (url, ms) => {
      pad.showResult(settings.on ? url : null);
      pad.setStatus(`live: ${Math.round(ms)} ms`);
    },
    onError: (message) => pad.setStatus(`live: ${message}`),
  });
  const send = () => {
    if (settings.on && settings.model) live.send(settings.model, pad.toBlob());
  };
  const refresh = async () => {
    const names = await translatorNames();
    picker.replaceChildren(...names.map((name) => new Option(name, name, false, name === settings.model)));
    if (!names.includes(settings.model)) settings.model = names[0] ?? "";
    pad.setStatus(names.length ? "" : "live: no translator under models/pix2pix");
  };
  toggle.addEventListener("change", () => {
    settings.on = toggle.checked;
    keep();
    if (settings.on) send();
    else pad.showResult(null);
  });
  picker.addEventListener("change", () => {
    settings.model = picker.value;
    keep();
    send();
  });
  picker.addEventListener("pointerdown", refresh, { once: true });
  return {
    send,
    restore: async () => {
      Object.assign(settings, { on: false, model: "" }, node.properties.pix2pix_live);
      toggle.checked = settings.on;
      await refresh();
      send();
    },
  };
}

function setUpSketch(node) {
  const drawing = widget(node, "drawing");
  drawing.hidden = true; // its value is the canvas: nothing to type
  drawing.computeSize = () => [0, -4];
  const paletteWidget = widget(node, "palette");
  let live = null;
  const pad = new SketchPad({
    palettes,
    palette: paletteWidget.value,
    width: widget(node, "width").value,
    height: widget(node, "height").value,
    onChange: () => {
      drawing.value = pad.toDataURL();
      drawing.callback?.(drawing.value);
      node.setDirtyCanvas?.(true, true);
      noticeChange();
      live.send();
    },
  });
  live = liveControls(node, pad);
  for (const name of ["width", "height", "palette"]) {
    const changed = widget(node, name).callback;
    widget(node, name).callback = function (...args) {
      changed?.apply(this, args);
      pad.setPalette(paletteWidget.value);
      if (name === "palette" && drawing.value) return; // a new palette keeps what is drawn
      pad.resize(widget(node, "width").value, widget(node, "height").value);
      pad.onChange();
    };
  }
  const restore = async () => {
    pad.setPalette(paletteWidget.value);
    if (drawing.value?.startsWith("data:image/png")) await pad.load(drawing.value);
    else pad.resize(widget(node, "width").value, widget(node, "height").value);
    await live.restore();
  };
  node.addDOMWidget("canvas", "pix2pix_sketch", pad.element,
                    { serialize: false, getMinHeight: () => PAD_MIN_HEIGHT });
  const roomy = () => {
    if (node.size[0] < 320 || node.size[1] < PAD_MIN_HEIGHT + 110) {
      node.setSize([Math.max(node.size[0], 320), Math.max(node.size[1], PAD_MIN_HEIGHT + 110)]);
    }
  };
  roomy();
  const configured = node.onConfigure;
  node.onConfigure = function (...args) {
    configured?.apply(this, args);
    roomy(); // a workflow saved with a smaller node still shows the whole pad
    node.pix2pixSketch.ready = restore(); // a loaded workflow brings its drawing, palette and live mode back
  };
  node.pix2pixSketch = { pad, canvas: pad.canvas, ready: restore() };
}

app.registerExtension({
  name: "comfyui-pix2pix.sketch",
  async init() {
    palettes = await (await api.fetchApi("/pix2pix/palettes")).json();
  },
  nodeCreated(node) {
    if (node.comfyClass === "Pix2PixSketch") setUpSketch(node);
  },
});
