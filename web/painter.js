// The painter: the photo and its mask live in the browser. A stroke is drawn here and handed to the live
// panels (window.inpaintLive.paint) in the same frame; when it ends, only the mask travels to the server, as a
// PNG at the photo's size in this component's value. The photo is uploaded once, as the user's own file.
// Runs as a gr.HTML js_on_load: `element`, `props` ({value, max_side, max_file_mb}), `trigger`, `upload`, `watch`.
"use strict";

(() => {
  const PINK = [255, 60, 120];
  const UNDO_BYTES = 64 << 20; // masks kept for undo, at most
  const $ = (selector) => element.querySelector(selector);
  const stage = $(".stage"), photoCanvas = $("canvas.photo"), maskCanvas = $("canvas.mask"), cursor = $(".cursor");
  const paint = {
    width: 0, height: 0, image: null, mask: null, overlay: null, erase: false, undo: [], redo: [], strokes: 0, sent: 0,
    view: { zoom: 1, x: 0, y: 0 }, pan: null, pointers: new Map(), space: false,
    stroke: null, frame: 0, dirty: null, since: null, latencyMs: [], // a move's event to both panels painted
    waiting: [], // the page's server events held until the stroke under way ends (web/painter.py AFTER_STROKE)
  };
  /** Resolves once no stroke is under way: nothing reaches the server while the hand paints. */
  paint.idle = () => (paint.stroke ? new Promise((resolve) => paint.waiting.push(resolve)) : Promise.resolve());
  function strokeOver() {
    for (const resolve of paint.waiting.splice(0)) resolve();
  }
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
    paint.redo = [];
    setView(1, 0, 0);
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
    paint.redo = [];
    while (paint.undo.length * paint.mask.length > UNDO_BYTES) paint.undo.shift();
  }

  function buttons() {
    $(".undo").disabled = !paint.undo.length;
    $(".redo").disabled = !paint.redo.length;
    $(".clear").disabled = !paint.mask || !paint.mask.some((v) => v);
    $(".invert").disabled = !paint.mask;
  }

  /** The brush's outline at the pointer, its size in screen pixels at the current zoom. */
  function showCursor(event) {
    if (!paint.mask) return;
    const box = maskCanvas.getBoundingClientRect(), within = stage.getBoundingClientRect();
    const scale = Math.min(box.width / paint.width, box.height / paint.height);
    const side = Math.max(2, Number($(".brush-size").value) * scale);
    cursor.style.width = cursor.style.height = `${side}px`;
    cursor.style.left = `${event.clientX - within.left}px`;
    cursor.style.top = `${event.clientY - within.top}px`;
    cursor.classList.add("on");
  }

  /** Image pixels under a pointer event (the canvas shows the photo contained in its box). */
  function at(event) {
    const box = maskCanvas.getBoundingClientRect();
    const scale = Math.min(box.width / paint.width, box.height / paint.height);
    const left = box.left + (box.width - paint.width * scale) / 2, top = box.top + (box.height - paint.height * scale) / 2;
    return [(event.clientX - left) / scale, (event.clientY - top) / scale];
  }

  maskCanvas.addEventListener("pointerdown", (event) => {
    if (!paint.mask) return;
    paint.pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (event.button === 1 || paint.space || paint.pointers.size > 1) return startPan(event);
    if (event.button > 0) return;
    event.preventDefault();
    maskCanvas.setPointerCapture(event.pointerId);
    remember();
    paint.stroke = at(event);
    disc(...paint.stroke);
    schedule();
  });
  maskCanvas.addEventListener("pointermove", (event) => {
    showCursor(event);
    if (paint.pointers.has(event.pointerId)) paint.pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (paint.pan) return movePan();
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
    strokeOver();
  }
  function pointerGone(event) {
    paint.pointers.delete(event.pointerId);
    if (paint.pan && paint.pointers.size) paint.pan = { ...gesture(), view: { ...paint.view } }; // one finger left
    else if (paint.pan) { paint.pan = null; stage.classList.toggle("panning", paint.space); }
    if (paint.pan) return;
    endStroke();
  }
  maskCanvas.addEventListener("pointerup", pointerGone);
  maskCanvas.addEventListener("pointercancel", pointerGone);
  maskCanvas.addEventListener("pointerleave", () => cursor.classList.remove("on"));

  // ---- zoom and pan: the view (both canvases) scaled and moved inside the stage ----
  function setView(zoom, x, y) {
    const z = Math.min(32, Math.max(1, zoom)), box = stage.getBoundingClientRect();
    const limit = (v, side) => Math.min(0, Math.max(side * (1 - z), v)); // the image never leaves the stage
    paint.view = { zoom: z, x: limit(x, box.width), y: limit(y, box.height) };
    $(".view").style.transform = z === 1 ? "" : `translate(${paint.view.x}px, ${paint.view.y}px) scale(${z})`;
  }
  /** Zoom by `factor`, the stage point (client px) under it staying where it is. */
  function zoomAt(factor, clientX, clientY) {
    const box = stage.getBoundingClientRect(), { zoom, x, y } = paint.view;
    const px = clientX - box.left, py = clientY - box.top, z = Math.min(32, Math.max(1, zoom * factor));
    setView(z, px - ((px - x) * z) / zoom, py - ((py - y) * z) / zoom);
  }
  function zoomCentre(factor) {
    const box = stage.getBoundingClientRect();
    zoomAt(factor, box.left + box.width / 2, box.top + box.height / 2);
  }
  function gesture() {
    const points = [...paint.pointers.values()];
    const centre = points.reduce((a, p) => [a[0] + p[0] / points.length, a[1] + p[1] / points.length], [0, 0]);
    const spread = points.length > 1 ? Math.hypot(points[0][0] - points[1][0], points[0][1] - points[1][1]) : 0;
    return { centre, spread };
  }
  /** A pan (middle button, Space held, or a second finger: the stroke it began is undone). */
  function startPan(event) {
    event.preventDefault();
    maskCanvas.setPointerCapture(event.pointerId);
    if (paint.stroke) { // the stroke the first finger began: undone, and the server told it is unchanged
      paint.stroke = null;
      paint.mask.set(paint.undo.pop());
      redrawAll();
      buttons();
      send();
      strokeOver();
    }
    paint.pan = { ...gesture(), view: { ...paint.view } };
    stage.classList.add("panning");
  }
  function movePan() {
    const now = gesture(), from = paint.pan, box = stage.getBoundingClientRect();
    const factor = from.spread && now.spread ? now.spread / from.spread : 1;
    const z = Math.min(32, Math.max(1, from.view.zoom * factor)), k = z / from.view.zoom;
    const [cx, cy] = [from.centre[0] - box.left, from.centre[1] - box.top];
    setView(z, now.centre[0] - box.left - (cx - from.view.x) * k, now.centre[1] - box.top - (cy - from.view.y) * k);
  }
  stage.addEventListener("wheel", (event) => {
    if (!paint.mask || !(event.ctrlKey || event.metaKey)) return; // a plain wheel scrolls the page
    event.preventDefault();
    zoomAt(Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
  }, { passive: false });
  $(".zoom-in").addEventListener("click", () => zoomCentre(1.5));
  $(".zoom-out").addEventListener("click", () => zoomCentre(1 / 1.5));
  $(".zoom-fit").addEventListener("click", () => setView(1, 0, 0));
  $(".mask-opacity").addEventListener("input", (event) => { maskCanvas.style.opacity = String(event.target.value / 100); });

  /** The mask as a PNG at the photo's size (painted: alpha 255), in this component's value, to the server; ""
   * where nothing is painted (a new photo, a cleared mask): a 4096² PNG costs a quarter second to make. */
  async function send() {
    if (!paint.image) return;
    let mask = "", bytes = 0;
    if (paint.mask.indexOf(1) >= 0) {
      const canvas = new OffscreenCanvas(paint.width, paint.height);
      canvas.getContext("2d").putImageData(paint.overlay, 0, 0);
      const blob = await canvas.convertToBlob({ type: "image/png" });
      mask = await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.readAsDataURL(blob);
      });
      bytes = blob.size;
    }
    paint.sent = bytes;
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
  /** The mask from one history onto the other (undo: from paint.undo to paint.redo). */
  function step(from, to) {
    if (!from.length) return;
    to.push(paint.mask.slice());
    paint.mask.set(from.pop());
    redrawAll();
    buttons();
    send();
  }
  const undo = () => step(paint.undo, paint.redo), redo = () => step(paint.redo, paint.undo);
  /** Every pixel of the mask changed by `change` (clear, invert), as one step of the history. */
  function whole(change) {
    remember();
    for (let i = 0; i < paint.mask.length; i++) paint.mask[i] = change(paint.mask[i]);
    redrawAll();
    buttons();
    send();
  }
  $(".undo").addEventListener("click", undo);
  $(".redo").addEventListener("click", redo);
  $(".clear").addEventListener("click", () => whole(() => 0));
  $(".invert").addEventListener("click", () => whole((v) => 1 - v));
  document.addEventListener("keydown", (event) => {
    if (!paint.mask || event.target.closest?.("input, textarea, [contenteditable]")) return;
    const key = event.key.toLowerCase(), command = event.ctrlKey || event.metaKey;
    if (command && (key === "y" || (key === "z" && event.shiftKey))) { event.preventDefault(); redo(); }
    else if (command && key === "z") { event.preventDefault(); undo(); }
    else if (command) return;
    else if (key === "b") tool(false);
    else if (key === "e") tool(true);
    else if (key === "i") whole((v) => 1 - v);
    else if (key === "[" || key === "]") {
      const size = Number($(".brush-size").value);
      setSize(Math.max(1, key === "[" ? Math.floor(size / 1.2) : Math.ceil(size * 1.2)));
    }
    else if (key === "+" || key === "=") zoomCentre(1.5);
    else if (key === "-") zoomCentre(1 / 1.5);
    else if (key === "0") setView(1, 0, 0);
    else if (key === " " && stage.matches(":hover")) { event.preventDefault(); paint.space = true; stage.classList.add("panning"); }
  });
  document.addEventListener("keyup", (event) => {
    if (event.key === " ") { paint.space = false; if (!paint.pan) stage.classList.remove("panning"); }
  });

  /** A mask file, read as ComfyUI's LoadImage reads a mask: with transparency, the mask is 1 − alpha (painted
   * where it rounds to 1: alpha ≤ 127); without, painted where it is bright (white on black). */
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
      paint.mask[i] = transparent ? rgba[o + 3] <= 127 : rgba[o] + rgba[o + 1] + rgba[o + 2] > 381;
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
    for (let i = 0; i < paint.mask.length; i++) paint.mask[i] = rgba[i * 4 + 3] > 0 ? 1 : 0;
    redrawAll(); // to the live panels too; the server reads the same mask file: nothing to send
    buttons();
  }
  watch("value", onValue);
  onValue();
})();
