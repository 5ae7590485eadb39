// The page `pix2pix draw` serves: the sketch pad, always live, with a picker over the translators the server
// offers (its models folder and the interactive demo's catalogue).
import { LiveClient, SketchPad, newClientId } from "./sketch_pad.js";

const json = async (path) => (await fetch(path)).json();
const [palettes, offer] = await Promise.all([json("pix2pix/palettes"), json("pix2pix/models")]);
const picker = document.getElementById("model");
const palettePicker = document.getElementById("palette");
const sizePicker = document.getElementById("size");

for (const model of offer.models) {
  picker.append(new Option(model.available ? model.name : `${model.name} (download)`, model.name, false,
                           model.name === offer.selected));
  picker.lastChild.title = model.about;
}
for (const palette of Object.values(palettes)) {
  palettePicker.append(new Option(palette.title, palette.name, false, palette.name === offer.palette));
}

const live = new LiveClient({
  url: "pix2pix/live",
  client: newClientId(),
  onResult: (url, ms) => {
    pad.showResult(url);
    pad.setStatus(`${picker.value}: ${Math.round(ms)} ms`);
  },
  onError: (message) => pad.setStatus(message),
});
const send = () => {
  pad.setStatus(`${picker.value}: translating…`);
  live.send(picker.value, pad.toBlob());
};
const pad = new SketchPad({ palettes, palette: offer.palette, onChange: send });
document.getElementById("pad").append(pad.element);
picker.addEventListener("change", send);
palettePicker.addEventListener("change", () => {
  pad.setPalette(palettePicker.value);
  pad.clear();
});
sizePicker.addEventListener("change", () => {
  pad.resize(Number(sizePicker.value), Number(sizePicker.value));
  send();
});
window.pix2pixDraw = { pad, live };
send();
