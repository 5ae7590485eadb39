// The Pix2Pix Sketch node's canvas: pen, eraser, undo, clear. The drawing lives in the node's "drawing" value as
// a PNG data URL, written when a stroke ends, so it is saved in the workflow, sent as it is when the prompt is
// queued (no upload racing the queue), and each stroke is a change that Run (On Change) sees.
import { app } from "../../scripts/app.js";

const PEN = { colour: "#000000", width: 1 };
const ERASER = { colour: "#ffffff", width: 15 };
const UNDO_LIMIT = 50;

function widget(node, name) {
  return node.widgets.find((w) => w.name === name);
}

function setUpCanvas(node) {
  const drawing = widget(node, "drawing");
  drawing.hidden = true; // its value is the canvas: nothing to type
  drawing.computeSize = () => [0, -4];
  const canvas = document.createElement("canvas");
  canvas.className = "pix2pix-sketch";
  Object.assign(canvas.style, { width: "100%", background: "#fff", touchAction: "none", cursor: "crosshair" });
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const history = [];
  let tool = PEN;
  let last = null;

  function blank(width, height) {
    canvas.width = width;
    canvas.height = height;
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
  }
  function save() {
    drawing.value = canvas.toDataURL("image/png");
    drawing.callback?.(drawing.value);
    node.setDirtyCanvas?.(true, true);
    app.graph?.change?.();
  }
  function restore(value) {
    const width = widget(node, "width").value;
    const height = widget(node, "height").value;
    blank(width, height);
    if (!value || !value.startsWith("data:image/png")) return;
    const image = new Image();
    image.onload = () => {
      blank(image.width, image.height);
      context.drawImage(image, 0, 0);
    };
    image.src = value;
  }
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width),
            (event.clientY - box.top) * (canvas.height / box.height)];
  }
  function segment(from, to) {
    context.strokeStyle = tool.colour;
    context.lineWidth = tool.width;
    context.lineCap = "round";
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
  }
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    event.stopPropagation();
    canvas.setPointerCapture(event.pointerId);
    history.push(context.getImageData(0, 0, canvas.width, canvas.height));
    if (history.length > UNDO_LIMIT) history.shift();
    last = point(event);
    segment(last, last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === null) return;
    const next = point(event);
    segment(last, next);
    last = next;
  });
  const end = () => {
    if (last === null) return;
    last = null;
    save();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  const control = (type, name, value, callback, options = {}) => {
    const added = node.addWidget(type, name, value, callback, { ...options, serialize: false });
    added.serialize = false; // the canvas's controls are not the node's inputs: neither saved nor sent
    return added;
  };
  control("combo", "tool", "pen", (value) => { tool = value === "eraser" ? ERASER : PEN; },
          { values: ["pen", "eraser"] });
  control("button", "undo", null, () => {
    const previous = history.pop();
    if (previous) {
      context.putImageData(previous, 0, 0);
      save();
    }
  });
  control("button", "clear", null, () => {
    history.push(context.getImageData(0, 0, canvas.width, canvas.height));
    blank(widget(node, "width").value, widget(node, "height").value);
    save();
  });
  for (const name of ["width", "height"]) {
    const size = widget(node, name);
    const changed = size.callback;
    size.callback = function (...args) {
      changed?.apply(this, args);
      history.length = 0;
      blank(widget(node, "width").value, widget(node, "height").value);
      save();
    };
  }
  node.addDOMWidget("canvas", "pix2pix_sketch", canvas, { serialize: false, getMinHeight: () => 256 });
  restore(drawing.value);
  const configured = node.onConfigure;
  node.onConfigure = function (...args) {
    configured?.apply(this, args);
    restore(drawing.value); // a loaded workflow brings its drawing back
  };
  node.pix2pixSketch = { canvas, restore };
}

app.registerExtension({
  name: "comfyui-pix2pix.sketch",
  nodeCreated(node) {
    if (node.comfyClass === "Pix2PixSketch") setUpCanvas(node);
  },
});
