// The painter: the photo and its mask live in the browser. A stroke is drawn here and handed to the live
// panels (window.inpaintLive.paint) in the same frame; when it ends, only the mask travels to the server, as a
// PNG at the photo's size in this component's value. The photo is uploaded once, as the user's own file.
// Runs as a gr.HTML js_on_load: `element`, `props` ({value, max_side, max_file_mb}), `trigger`, `upload`, `watch`.
"use strict";

(() => {
  const PINK = [255, 60, 120];
  const UNDO_BYTES = 64 << 20; // masks kept for undo, at most
  const $ = (selector) => element.querySelector(selector);
  const stage = $(".stage"), photoCanvas = $("canvas.photo"), maskCanvas = $("canvas.mask");
  const paint = {
    width: 0, height: 0, image: null, mask: null, overlay: null, erase: false, undo: [], strokes: 0, sent: 0,
    stroke: null, frame: 0, dirty: null, since: null, latencyMs: [], // a move's event to both panels painted
  };
  window.inpaintPainter = paint;

  function say(message) {
    $(".message").textContent = message;
  }

  // ---- the photo ----
  function show(bitmap, image) {
    paint.width = bitmap.width;
    paint.height = bitmap.height;
    paint.image = image;
    photoCanvas.width = maskCanvas.width = bitmap.width;
    photoCanvas.height = maskCanvas.height = bitmap.height;
    photoCanvas.getContext("2d").drawImage(bitmap, 0, 0);
    paint.context = maskCanvas.getContext("2d", { willReadFrequently: true });
    paint.overlay = paint.context.createImageData(bitmap.width, bitmap.height);
    paint.mask = new Uint8Array(bitmap.width * bitmap.height);
    paint.undo = [];
    const side = Math.max(bitmap.width, bitmap.height);
    setSize(Math.max(2, Math.round(side / 40)));
    element.querySelector(".painter").classList.add("ready");
    buttons();
  }

  /** An image file's pixel size from its header (the browser decodes it lazily), or a sentence refusing it. */
  async function check(file) {
    const limit = props.max_side, megabytes = props.max_file_mb;
    if (!file.type.startsWith("image/") || file.type === "image/svg+xml") {
      return `${file.name} is not an image this page can read: upload a PNG, JPEG, WebP, GIF, BMP or TIFF file.`;
    }
    if (file.size > megabytes * 2 ** 20) {
      return `${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MB; this server accepts files up to ${megabytes} MB.`;
    }
    try {
      const bitmap = await createImageBitmap(file);
      if (Math.max(bitmap.width, bitmap.height) > limit) {
        return `The image is ${bitmap.width}×${bitmap.height}; this server accepts up to ${limit} px on the longest side.`;
      }
      return bitmap;
    } catch {
      return `${file.name} could not be read as an image: upload a PNG, JPEG, WebP, GIF, BMP or TIFF file.`;
    }
  }

  /** A photo the user chose: checked and shown at once, uploaded once, then sent with an empty mask. */
  async function takePhoto(file) {
    const checked = await check(file);
    if (typeof checked === "string") {
      say(checked + (paint.image ? " The page keeps the image before it." : ""));
      return;
    }
    say("");
    show(checked, null);
    window.inpaintLive?.photo?.();
    try {
      const { path } = await upload(file);
      paint.image = path;
      send();
    } catch (error) {
      say(`The upload failed (${error.message || error}); try again.`);
    }
  }

  // ---- the mask ----
  function setSize(size) {
    $(".brush-size").value = String(Math.min(200, size));
    $(".size-value").textContent = $(".brush-size").value;
  }

  function mark(x0, y0, x1, y1) {
    const d = paint.dirty;
    paint.dirty = d ? [Math.min(d[0], x0), Math.min(d[1], y0), Math.max(d[2], x1), Math.max(d[3], y1)] : [x0, y0, x1, y1];
  }

  function setPixel(i, value) {
    paint.mask[i] = value;
    const o = i * 4, data = paint.overlay.data;
    data[o] = PINK[0]; data[o + 1] = PINK[1]; data[o + 2] = PINK[2]; data[o + 3] = value ? 255 : 0;
  }

  /** A disc of the brush's radius at (x, y) in image pixels. */
  function disc(x, y) {
    const r = Number($(".brush-size").value) / 2, value = paint.erase ? 0 : 1;
    const x0 = Math.max(0, Math.floor(x - r)), x1 = Math.min(paint.width - 1, Math.ceil(x + r));
    const y0 = Math.max(0, Math.floor(y - r)), y1 = Math.min(paint.height - 1, Math.ceil(y + r));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const dx = px + 0.5 - x, dy = py + 0.5 - y;
        if (dx * dx + dy * dy <= r * r) setPixel(py * paint.width + px, value);
      }
    }
    mark(x0, y0, x1, y1);
  }

  function line(from, to) {
    const r = Math.max(0.5, Number($(".brush-size").value) / 4);
    const steps = Math.max(1, Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) / r));
    for (let k = 1; k <= steps; k++) disc(from[0] + ((to[0] - from[0]) * k) / steps, from[1] + ((to[1] - from[1]) * k) / steps);
  }

  /** The changed pixels onto the overlay, and the mask to the live panels: once per animation frame. */
  function flush(final = false) {
    paint.frame = 0;
    const dirty = paint.dirty;
    paint.dirty = null;
    if (dirty) {
      const [x0, y0, x1, y1] = dirty;
      paint.context.putImageData(paint.overlay, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }
    if (dirty || final) window.inpaintLive?.paint?.(paint.mask, paint.width, paint.height, dirty ?? [0, 0, -1, -1], final);
    if (paint.since !== null) paint.latencyMs.push(performance.now() - paint.since); // bench/paint.py reads it
    paint.since = null;
    if (paint.latencyMs.length > 1000) paint.latencyMs.shift();
  }

  function schedule() {
    if (!paint.frame) paint.frame = requestAnimationFrame(() => flush());
  }

  function redrawAll() {
    for (let i = 0; i < paint.mask.length; i++) setPixel(i, paint.mask[i]);
    mark(0, 0, paint.width - 1, paint.height - 1);
    if (paint.frame) cancelAnimationFrame(paint.frame);
    flush(true);
  }

  function remember() {
    paint.undo.push(paint.mask.slice());
    while (paint.undo.length * paint.mask.length > UNDO_BYTES) paint.undo.shift();
  }

  function buttons() {
    $(".undo").disabled = !paint.undo.length;
    $(".clear").disabled = !paint.mask || !paint.mask.some((v) => v);
  }

  /** Image pixels under a pointer event (the canvas shows the photo contained in its box). */
  function at(event) {
    const box = maskCanvas.getBoundingClientRect();
    const scale = Math.min(box.width / paint.width, box.height / paint.height);
    const left = box.left + (box.width - paint.width * scale) / 2, top = box.top + (box.height - paint.height * scale) / 2;
    return [(event.clientX - left) / scale, (event.clientY - top) / scale];
  }

  maskCanvas.addEventListener("pointerdown", (event) => {
    if (!paint.mask || event.button > 0) return;
    event.preventDefault();
    maskCanvas.setPointerCapture(event.pointerId);
    remember();
    paint.stroke = at(event);
    disc(...paint.stroke);
    schedule();
  });
  maskCanvas.addEventListener("pointermove", (event) => {
    if (!paint.stroke) return;
    paint.since ??= event.timeStamp;
    const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const point of points.length ? points : [event]) {
      const next = at(point);
      line(paint.stroke, next);
      paint.stroke = next;
    }
    schedule();
  });
  function endStroke() {
    if (!paint.stroke) return;
    paint.stroke = null;
    if (paint.frame) cancelAnimationFrame(paint.frame);
    flush(true); // the difference panel zooms to the whole mask again
    paint.strokes += 1;
    buttons();
    send();
  }
  maskCanvas.addEventListener("pointerup", endStroke);
  maskCanvas.addEventListener("pointercancel", endStroke);

  /** The mask as a PNG at the photo's size (painted: alpha 255), in this component's value, to the server. */
  async function send() {
    if (!paint.image) return;
    const canvas = new OffscreenCanvas(paint.width, paint.height);
    canvas.getContext("2d").putImageData(paint.overlay, 0, 0);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    const mask = await new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(blob);
    });
    paint.sent = blob.size;
    paint.example = null; // the same example, picked again, loads again
    props.value = { image: paint.image, mask };
    // setting the value dispatches the component's change event
  }

  // ---- tools ----
  function tool(erase) {
    paint.erase = erase;
    $(".brush").classList.toggle("on", !erase);
    $(".eraser").classList.toggle("on", erase);
    $(".brush").setAttribute("aria-pressed", String(!erase));
    $(".eraser").setAttribute("aria-pressed", String(erase));
  }
  $(".brush").addEventListener("click", () => tool(false));
  $(".eraser").addEventListener("click", () => tool(true));
  $(".brush-size").addEventListener("input", (event) => setSize(Number(event.target.value)));
  function undo() {
    if (!paint.undo.length) return;
    paint.mask.set(paint.undo.pop());
    redrawAll();
    buttons();
    send();
  }
  $(".undo").addEventListener("click", undo);
  $(".clear").addEventListener("click", () => {
    remember();
    paint.mask.fill(0);
    redrawAll();
    buttons();
    send();
  });
  document.addEventListener("keydown", (event) => {
    if (!paint.mask || event.target.closest?.("input, textarea, [contenteditable]")) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
    else if (event.key === "b") tool(false);
    else if (event.key === "e") tool(true);
  });

  /** A mask file: painted where its alpha is above 0, or, without transparency, where it is bright. */
  async function takeMask(file) {
    if (!paint.mask) return say("Upload an image first, then its mask.");
    let bitmap;
    try { bitmap = await createImageBitmap(file); } catch { return say(`${file.name} could not be read as an image.`); }
    const canvas = new OffscreenCanvas(paint.width, paint.height), context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(bitmap, 0, 0, paint.width, paint.height);
    const rgba = context.getImageData(0, 0, paint.width, paint.height).data;
    let transparent = false;
    for (let i = 3; i < rgba.length && !transparent; i += 4) transparent = rgba[i] < 255;
    remember();
    for (let i = 0; i < paint.mask.length; i++) {
      const o = i * 4;
      paint.mask[i] = transparent ? rgba[o + 3] > 0 : rgba[o] + rgba[o + 1] + rgba[o + 2] > 381;
    }
    say("");
    redrawAll();
    buttons();
    send();
  }

  $(".photo-file").addEventListener("change", (event) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (file) takePhoto(file);
  });
  $(".mask-file").addEventListener("change", (event) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (file) takeMask(file);
  });
  stage.addEventListener("dragover", (event) => { event.preventDefault(); stage.classList.add("dragging"); });
  stage.addEventListener("dragleave", () => stage.classList.remove("dragging"));
  stage.addEventListener("drop", (event) => {
    event.preventDefault();
    stage.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (file) takePhoto(file);
  });
  document.addEventListener("paste", (event) => {
    const file = [...(event.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file && !event.target.closest?.("input, textarea")) takePhoto(file);
  });

  // ---- an example from the server: its photo and mask by URL (the server reads the same files) ----
  async function loadImage(url) {
    const response = await fetch(url);
    return createImageBitmap(await response.blob());
  }
  async function onValue() {
    const value = props.value;
    if (!value || !value.url || value.url === paint.example) return;
    paint.example = value.url;
    window.inpaintLive?.photo?.(); // the panels wait for the server's reading of this example
    const [photo, mask] = await Promise.all([loadImage(value.url), loadImage(value.mask_url)]);
    if (paint.example !== value.url) return;
    say("");
    show(photo, value.image);
    const canvas = new OffscreenCanvas(photo.width, photo.height), context = canvas.getContext("2d");
    context.drawImage(mask, 0, 0);
    const rgba = context.getImageData(0, 0, photo.width, photo.height).data;
    for (let i = 0; i < paint.mask.length; i++) setPixel(i, rgba[i * 4 + 3] > 0 ? 1 : 0);
    paint.context.putImageData(paint.overlay, 0, 0); // the server reads the same mask: nothing to send
    buttons();
  }
  watch("value", onValue);
  onValue();
})();
