// The sketch pad: the one drawing surface of comfyui-pix2pix, used by the Pix2Pix Sketch node in ComfyUI
// (web/sketch.js) and by the page `pix2pix draw` serves (draw.js). No framework, no ComfyUI import.
//
// Every pixel is drawn in an exact palette colour (no anti-aliasing), so a label map holds only label colours and
// flood fill finds clean borders. Tools: pen, eraser, line, rectangle, filled box, flood fill; undo, redo, clear;
// a background picture to trace over, shown under the drawing and never part of it. `onChange` is called once
// at the end of each stroke (or undo, redo, clear): that is when a host saves or sends the drawing.

export const TOOLS = ["pen", "eraser", "line", "rect", "box", "fill"];
const TOOL_TITLES = {
  pen: "pen: freehand in the chosen colour", eraser: "eraser: freehand in the blank colour",
  line: "line: drag from one end to the other", rect: "rectangle outline: drag corner to corner",
  box: "filled box: drag corner to corner", fill: "flood fill: click inside an area",
};
const DEFAULT_WIDTHS = { pen: 1, eraser: 15, line: 1, rect: 1, box: 1, fill: 1 };
const HISTORY_BYTES = 192 * 2 ** 20; // undo + redo snapshots kept, at most (a 2048x2048 canvas is 16 MiB)
const BACKGROUND_OPACITY = 0.55; // the drawing's opacity over a tracing picture

function element(tag, properties = {}, style = {}) {
  const made = Object.assign(document.createElement(tag), properties);
  Object.assign(made.style, style);
  return made;
}

function discOffsets(width) {
  const offsets = [];
  const centre = (width - 1) / 2;
  for (let j = 0; j < width; j++) {
    for (let i = 0; i < width; i++) {
      if ((i - centre) ** 2 + (j - centre) ** 2 <= (width / 2) ** 2) {
        offsets.push([i - Math.floor(centre), j - Math.floor(centre)]);
      }
    }
  }
  return offsets;
}

export class SketchPad {
  constructor({ palettes, palette = "edges", width = 256, height = 256, onChange = () => {} }) {
    this.palettes = palettes;
    this.onChange = onChange;
    this.tool = "pen";
    this.widths = { ...DEFAULT_WIDTHS };
    this.undoStack = [];
    this.redoStack = [];
    this.stroke = null;
    this.#build();
    this.setPalette(palette);
    this.setTool("pen");
    this.resize(width, height);
  }

  #build() {
    this.element = element("div", { className: "pix2pix-sketch-pad" },
      { display: "flex", flexDirection: "column", gap: "4px", width: "100%", height: "100%", minHeight: "0",
        font: "12px sans-serif", color: "#ddd" });
    this.toolbar = element("div", { className: "pix2pix-sketch-tools" },
      { display: "flex", flexWrap: "wrap", gap: "3px", alignItems: "center" });
    this.toolButtons = {};
    for (const tool of TOOLS) {
      const button = this.#button(tool, TOOL_TITLES[tool], () => this.setTool(tool));
      button.dataset.tool = tool;
      this.toolButtons[tool] = button;
    }
    this.widthInput = element("input", { type: "number", min: 1, max: 64, value: 1, title: "width in pixels" },
      { width: "3.2em" });
    this.widthInput.className = "pix2pix-sketch-width";
    this.widthInput.addEventListener("change", () => {
      const width = Math.max(1, Math.min(64, Math.round(Number(this.widthInput.value) || 1)));
      this.widths[this.tool] = width;
      this.widthInput.value = width;
    });
    this.toolbar.append(this.widthInput);
    for (const [name, action] of [["undo", () => this.undo()], ["redo", () => this.redo()],
                                  ["clear", () => this.clear()]]) {
      this.#button(name, name, action).dataset.action = name;
    }
    this.backgroundInput = element("input", { type: "file", accept: "image/*" }, { display: "none" });
    this.backgroundInput.addEventListener("change", () => this.setBackground(this.backgroundInput.files[0] ?? null));
    this.toolbar.append(this.backgroundInput);
    this.#button("trace…", "a picture to trace over (shown under the drawing, never sent)",
                 () => this.backgroundInput.click()).dataset.action = "background";
    this.#button("×", "remove the tracing picture", () => this.setBackground(null)).dataset.action = "no-background";
    this.swatches = element("div", { className: "pix2pix-sketch-colours" },
      { display: "flex", flexWrap: "wrap", gap: "2px" });
    this.panels = element("div", {}, { display: "flex", gap: "4px", flex: "1 1 auto", minHeight: "0" });
    this.stage = element("div", {}, { position: "relative", flex: "1 1 0", minWidth: "0", minHeight: "0" });
    const layer = { position: "absolute", inset: "0", width: "100%", height: "100%", objectFit: "contain" };
    this.background = element("img", { alt: "" }, { ...layer, display: "none", pointerEvents: "none" });
    this.canvas = element("canvas", { className: "pix2pix-sketch" },
      { ...layer, touchAction: "none", cursor: "crosshair", imageRendering: "pixelated" });
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
    this.stage.append(this.background, this.canvas);
    this.result = element("img", { className: "pix2pix-sketch-result", alt: "translation" },
      { flex: "1 1 0", minWidth: "0", objectFit: "contain", display: "none" });
    this.status = element("div", { className: "pix2pix-sketch-status" }, { minHeight: "1.2em", opacity: "0.8" });
    this.panels.append(this.stage, this.result);
    this.element.append(this.toolbar, this.swatches, this.panels, this.status);
    this.canvas.addEventListener("pointerdown", (event) => this.#down(event));
    this.canvas.addEventListener("pointermove", (event) => this.#move(event));
    this.canvas.addEventListener("pointerup", (event) => this.#up(event));
    this.canvas.addEventListener("pointercancel", (event) => this.#up(event));
  }

  #button(label, title, action) {
    const button = element("button", { type: "button", textContent: label, title },
      { padding: "1px 6px", cursor: "pointer" });
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      action();
    });
    this.toolbar.append(button);
    return button;
  }

  get palette() {
    return this.palettes[this.paletteName];
  }

  #rgb(name) {
    return this.palette.colours.find((colour) => colour.name === name).rgb;
  }

  setPalette(name) {
    this.paletteName = name in this.palettes ? name : "edges";
    this.colour = this.palette.pen;
    this.swatches.replaceChildren(...this.palette.colours.map((colour) => {
      const swatch = element("button", { type: "button", title: colour.name },
        { width: "18px", height: "18px", padding: "0", background: colour.hex, cursor: "pointer",
          border: "2px solid #888" });
      swatch.dataset.colour = colour.name;
      swatch.addEventListener("click", (event) => {
        event.stopPropagation();
        this.setColour(colour.name);
      });
      return swatch;
    }));
    this.setColour(this.colour);
  }

  setColour(name) {
    this.colour = name;
    for (const swatch of this.swatches.children) {
      swatch.style.borderColor = swatch.dataset.colour === name ? "#ff0" : "#888";
    }
  }

  setTool(tool) {
    this.tool = tool;
    this.widthInput.value = this.widths[tool];
    for (const [name, button] of Object.entries(this.toolButtons)) {
      button.style.outline = name === tool ? "2px solid #ff0" : "none";
    }
  }

  get width() {
    return this.canvas.width;
  }

  get height() {
    return this.canvas.height;
  }

  /** A blank canvas of this size in the palette's blank colour; the history is dropped. */
  resize(width, height) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.pixels = this.context.createImageData(width, height);
    this.#fillAll(this.#rgb(this.palette.blank));
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.#show();
  }

  /** Shows a PNG data URL (a saved drawing); resolves once drawn. Nothing is recorded in the history. */
  load(dataUrl) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => {
        this.resize(image.width, image.height);
        this.context.drawImage(image, 0, 0);
        this.pixels = this.context.getImageData(0, 0, image.width, image.height);
        resolve();
      };
      image.onerror = () => reject(new Error("the saved drawing is not a readable PNG"));
      image.src = dataUrl;
    });
  }

  toDataURL() {
    return this.canvas.toDataURL("image/png");
  }

  toBlob() {
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/png"));
  }

  undo() {
    this.#swap(this.undoStack, this.redoStack);
  }

  redo() {
    this.#swap(this.redoStack, this.undoStack);
  }

  clear() {
    this.#remember();
    this.#fillAll(this.#rgb(this.palette.blank));
    this.#show();
    this.onChange();
  }

  /** A picture (a File or Blob, or null for none) shown under the drawing to trace over; never part of it. */
  setBackground(file) {
    if (this.background.src) URL.revokeObjectURL(this.background.src);
    this.background.removeAttribute("src");
    this.background.style.display = file ? "block" : "none";
    this.canvas.style.opacity = file ? String(BACKGROUND_OPACITY) : "1";
    if (file) this.background.src = URL.createObjectURL(file);
  }

  /** Shows an image URL beside the drawing (a live translation), or hides it (null). */
  showResult(url) {
    if (this.result.src?.startsWith("blob:")) URL.revokeObjectURL(this.result.src);
    if (url) this.result.src = url;
    else this.result.removeAttribute("src");
    this.result.style.display = url ? "block" : "none";
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  #swap(from, to) {
    const snapshot = from.pop();
    if (!snapshot) return;
    to.push(this.#snapshot());
    if (snapshot.width !== this.width || snapshot.height !== this.height) {
      this.canvas.width = snapshot.width;
      this.canvas.height = snapshot.height;
    }
    this.pixels = snapshot;
    this.#show();
    this.onChange();
  }

  #snapshot() {
    return new ImageData(new Uint8ClampedArray(this.pixels.data), this.width, this.height);
  }

  #remember() {
    this.undoStack.push(this.#snapshot());
    this.redoStack.length = 0;
    const limit = Math.max(2, Math.floor(HISTORY_BYTES / (this.width * this.height * 4)));
    while (this.undoStack.length > limit) this.undoStack.shift();
  }

  #show() {
    this.context.putImageData(this.pixels, 0, 0);
  }

  #point(event) {
    // the canvas is shown with object-fit: contain, so the picture is centred inside the element's box
    const box = this.canvas.getBoundingClientRect();
    const scale = Math.min(box.width / this.width, box.height / this.height);
    const left = box.left + (box.width - this.width * scale) / 2;
    const top = box.top + (box.height - this.height * scale) / 2;
    return [Math.floor((event.clientX - left) / scale), Math.floor((event.clientY - top) / scale)];
  }

  #down(event) {
    if (event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation();
    this.canvas.setPointerCapture(event.pointerId);
    this.#remember();
    const at = this.#point(event);
    if (this.tool === "fill") {
      this.#flood(at, this.#rgb(this.colour));
      this.#show();
      this.onChange();
      return;
    }
    this.stroke = { start: at, last: at, before: this.tool === "pen" || this.tool === "eraser" ? null
      : new Uint8ClampedArray(this.pixels.data) };
    this.#drag(at);
  }

  #move(event) {
    if (!this.stroke) return;
    event.stopPropagation();
    this.#drag(this.#point(event));
  }

  #up(event) {
    if (!this.stroke) return;
    event.stopPropagation();
    this.#drag(this.#point(event));
    this.stroke = null;
    this.onChange();
  }

  #drag(at) {
    const { start, before } = this.stroke;
    const width = this.widths[this.tool];
    const rgb = this.#rgb(this.tool === "eraser" ? this.palette.blank : this.colour);
    if (before) this.pixels.data.set(before); // a shape is drawn afresh from the stroke's start at each move
    if (this.tool === "pen" || this.tool === "eraser") this.#line(this.stroke.last, at, width, rgb);
    else if (this.tool === "line") this.#line(start, at, width, rgb);
    else if (this.tool === "rect") this.#rectangle(start, at, width, rgb);
    else if (this.tool === "box") this.#box(start, at, rgb);
    this.stroke.last = at;
    this.#show();
  }

  #set(x, y, rgb) {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    const data = this.pixels.data;
    data[i] = rgb[0];
    data[i + 1] = rgb[1];
    data[i + 2] = rgb[2];
    data[i + 3] = 255;
  }

  #fillAll(rgb) {
    const data = this.pixels.data;
    for (let i = 0; i < data.length; i += 4) {
      data[i] = rgb[0];
      data[i + 1] = rgb[1];
      data[i + 2] = rgb[2];
      data[i + 3] = 255;
    }
  }

  #line([x0, y0], [x1, y1], width, rgb) {
    // Bresenham, stamping a disc of the pen's width at each step
    const disc = discOffsets(width);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let error = dx + dy;
    for (;;) {
      for (const [ox, oy] of disc) this.#set(x0 + ox, y0 + oy, rgb);
      if (x0 === x1 && y0 === y1) return;
      const twice = 2 * error;
      if (twice >= dy) {
        error += dy;
        x0 += sx;
      }
      if (twice <= dx) {
        error += dx;
        y0 += sy;
      }
    }
  }

  #rectangle([x0, y0], [x1, y1], width, rgb) {
    const [left, right] = [Math.min(x0, x1), Math.max(x0, x1)];
    const [top, bottom] = [Math.min(y0, y1), Math.max(y0, y1)];
    const inner = Math.min(width, Math.ceil((right - left + 1) / 2), Math.ceil((bottom - top + 1) / 2));
    for (let k = 0; k < inner; k++) {
      for (let x = left + k; x <= right - k; x++) {
        this.#set(x, top + k, rgb);
        this.#set(x, bottom - k, rgb);
      }
      for (let y = top + k; y <= bottom - k; y++) {
        this.#set(left + k, y, rgb);
        this.#set(right - k, y, rgb);
      }
    }
  }

  #box([x0, y0], [x1, y1], rgb) {
    for (let y = Math.min(y0, y1); y <= Math.max(y0, y1); y++) {
      for (let x = Math.min(x0, x1); x <= Math.max(x0, x1); x++) this.#set(x, y, rgb);
    }
  }

  #flood([x, y], rgb) {
    // 4-connected fill of the area of exactly the clicked colour
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const data = this.pixels.data;
    const start = (y * this.width + x) * 4;
    const target = [data[start], data[start + 1], data[start + 2]];
    if (target.every((value, channel) => value === rgb[channel])) return;
    const same = (p) => data[p * 4] === target[0] && data[p * 4 + 1] === target[1] && data[p * 4 + 2] === target[2];
    const stack = [y * this.width + x];
    while (stack.length) {
      const p = stack.pop();
      if (!same(p)) continue;
      const px = p % this.width;
      this.#set(px, Math.floor(p / this.width), rgb);
      if (px > 0) stack.push(p - 1);
      if (px < this.width - 1) stack.push(p + 1);
      if (p >= this.width) stack.push(p - this.width);
      if (p < this.width * (this.height - 1)) stack.push(p + this.width);
    }
  }
}

/** Live translation with the newest drawing winning: one request in flight; a drawing finished meanwhile waits
 *  and replaces any older one still waiting, so a fast pen never builds a queue. */
export class LiveClient {
  constructor({ url, client, onResult, onError }) {
    Object.assign(this, { url, client, onResult, onError });
    this.waiting = null;
    this.busy = false;
  }

  send(model, blob) {
    this.waiting = { model, blob };
    if (!this.busy) this.#drain();
  }

  async #drain() {
    this.busy = true;
    while (this.waiting) {
      const { model, blob } = this.waiting;
      this.waiting = null;
      const form = new FormData();
      form.append("model", model);
      form.append("client", this.client);
      form.append("image", await blob, "drawing.png");
      const started = performance.now();
      try {
        const response = await fetch(this.url, { method: "POST", body: form });
        if (response.ok) {
          this.onResult(URL.createObjectURL(await response.blob()), performance.now() - started);
        } else if (response.status !== 409) { // 409: a newer drawing replaced this one on the server
          const answer = await response.json().catch(() => ({ error: response.statusText }));
          this.onError(`${response.status}: ${answer.error}`);
        }
      } catch (error) {
        this.onError(`the server did not answer (${error.message})`);
      }
    }
    this.busy = false;
  }
}

export function newClientId() {
  return `pad-${Math.random().toString(36).slice(2, 12)}`;
}
