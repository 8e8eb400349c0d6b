// The live panels: each method's noise mask and grey (neutralised) area over its crop, where the two
// noise masks differ, and the decoded latents with a plain note when they no longer match the sliders.
// Runs as a gr.HTML js_on_load after web/live_masks.js: `element` is the panel, `props.value` what the
// server sent last ({kind: "edit"} once per edit, {kind: "decoded"} when the latents are ready).
// Slider steps never reach the server: each redraws only the pixels whose state changed.
// A column may hold another method (picked on the page, `live.choose`). Where its noise mask is GrowMask on
// the painted 0/1 mask (the server says so: `live` in its entry), the column's slider drives it here too;
// otherwise the column shows the server's drawing, and its mask above 0 (sent as bits) takes the node's
// place in the difference.
"use strict";

(() => {
  const M = window.inpaintLiveMasks;
  // Each node's live mask: the maths here (live_masks.js); its amount's name and range, title, what it greys and
  // whether its latent follows the amount come from the method descriptions (inpaint_core.preparations.METHODS,
  // sent as `props.nodes` by web/live.py).
  const RULES = {
    comfy: (mask, w, h, lo, hi) => M.comfyLevels(mask, w, h, hi),
    was: (mask, w, h, lo, hi) => M.wasLevels(mask, w, h, lo, hi),
  };
  const NODES = Object.fromEntries(Object.entries(props.nodes).map(([node, d]) => [node, { ...d, levels: RULES[node] }]));
  // The two columns by place, each with the seed node it starts with ({left: "comfy", right: "was"}); a
  // column's slider is `#<place>-amount`, its panel `[data-column=<place>]`.
  const PLACES = props.places, COLUMNS = Object.keys(PLACES);
  const PINK = [255, 60, 120], ORANGE = [255, 140, 0], BLUE = [30, 144, 255], MAGENTA = [192, 64, 192], BLACK = [0, 0, 0];
  const GREY_MASKED = mix([128, 128, 128], PINK, 0.3);
  const word = (rgba) => new Uint32Array(new Uint8Array(rgba).buffer)[0]; // a pixel as the canvas's 32-bit word
  const GREY_WORD = word([...GREY_MASKED, 255]);
  // Each colour's blend as lookup tables (tint): a panel's pixel is three reads, rounded as `mix` rounds.
  const PINKED = tint(PINK, 0.55);
  const DIFFERENCE = [tint(BLACK, 0.45), tint(BLUE, 0.85), tint(ORANGE, 0.85), tint(MAGENTA, 0.35)]; // by 2 * left + right
  const live = {
    edit: null, columns: {}, decoded: null, released: { left: true, right: true }, drawMs: [], paintMs: [],
    chosen: { ...PLACES }, // the method each column holds
    served: {}, // per column, the server's drawing of another method: {method, title, image, key, box, noise}
  };
  window.inpaintLive = live;

  function mix(a, b, t) {
    return [0, 1, 2].map((c) => Math.round(a[c] * (1 - t) + b[c] * t));
  }

  /** Uint32Array(3 * 256): at c * 256 + v, base value v of channel c mixed toward `colour` by t, rounded as mix, as
   * that channel's part of an opaque pixel's word. */
  function tint(colour, t) {
    const table = new Uint32Array(768);
    for (let c = 0; c < 3; c++) {
      for (let v = 0; v < 256; v++) {
        const rgba = [0, 0, 0, 255];
        rgba[c] = Math.round(v * (1 - t) + colour[c] * t);
        table[c * 256 + v] = word(rgba);
      }
    }
    return table;
  }

  /** The base's pixel at byte `b` through a tint's table: an opaque pixel's word. */
  function tinted(base, b, table) {
    return table[base[b]] | table[256 + base[b + 1]] | table[512 + base[b + 2]];
  }

  function sliderValue(column) {
    const input = document.querySelector(`#${column}-amount input[type=range]`);
    const value = input ? Number(input.value) : NaN;
    return Number.isFinite(value) ? value : live.columns[column]?.amount ?? 0;
  }

  /** The image at `url`, decoded off the page's thread. */
  async function loadImage(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not load ${url} (${response.status})`);
    return createImageBitmap(await response.blob());
  }

  /** A canvas of w x h with its pixels as a Uint8ClampedArray we write and put back in dirty rectangles (and
   * `words`, the same pixels as 32-bit words). */
  function surface(canvas, w, h) {
    canvas.width = w;
    canvas.height = h;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const data = context.createImageData(w, h);
    return { canvas, context, data, words: new Uint32Array(data.data.buffer), w, h };
  }

  function put(target, x0, y0, x1, y1) {
    if (x1 < x0) return;
    target.context.putImageData(target.data, 0, 0, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
  }

  // ---- one column's live mask panel ----
  /** Levels (the smallest amount that covers each pixel) over the column's box, sorted, and its canvas. */
  function setUpLive(column, spec, levels, mask) {
    const [top, left, h, w] = spec.box;
    const [lo, hi] = spec.range;
    const target = surface(element.querySelector(`[data-column=${column}] canvas`), w, h);
    const noise = new Uint8Array(w * h);
    const state = { ...spec, column, top, left, w, h, mask, levels, sorted: null, unsorted: true, target, amount: null, noise };
    state.near = nearBox(state);
    live.columns[column] = state;
    // the slider is what the user set; the difference is drawn once both columns are (showColumns)
    setAmount(column, Math.max(lo, Math.min(hi, sliderValue(column))), true, false);
    setTimeout(() => live.columns[column] === state && sortedLevels(state), 0); // shown first; a step sorts if sooner
  }

  /** The column's levels sorted (M.sortByLevel), sorted anew where they changed since. */
  function sortedLevels(state) {
    if (state.unsorted) {
      state.sorted = M.sortByLevel(state.levels, state.range[0], state.range[1] + 1, state.w, state.near);
      state.unsorted = false;
    }
    return state.sorted;
  }

  function cut(values, width, [top, left, h, w], Type) {
    const out = new Type(w * h);
    for (let y = 0; y < h; y++) out.set(values.subarray((y + top) * width + left, (y + top) * width + left + w), y * w);
    return out;
  }

  /** A node's rule (`node`) in `box`: the painted mask cropped as the node crops, then grown or offset. */
  function setUpNodeRule(column, node, box, spec) {
    const rule = NODES[node], mask = cut(live.edit.mask, live.edit.width, box, Uint8Array);
    const levelsOf = (m, w, h) => rule.levels(m, w, h, ...rule.range); // on the node's crop
    setUpLive(column, { ...rule, ...spec, box, frame: box, levelsOf }, levelsOf(mask, box[3], box[2]), mask);
  }

  /** The column's own node. */
  function setUpNode(column) {
    const node = PLACES[column];
    setUpNodeRule(column, node, live.edit.crops[node], { kind: "node" });
  }

  /** A column's live mask from the server's spec: the other node (its rule in its own crop), or GrowMask. */
  function setUpServed(column, spec) {
    if (!spec.node) return setUpGrow(column, spec);
    setUpNodeRule(column, spec.node, spec.box, { ...spec, kind: "served node" });
  }

  /** GrowMask on the whole painted mask (as the node runs before any crop), seen through the method's box. */
  function setUpGrow(column, spec) {
    const edit = live.edit, [lo, hi] = spec.range;
    const levelsOf = (m, w, h) => M.growMaskLevels(m, w, h, spec.tapered, lo, hi); // on the whole image
    const levels = cut(levelsOf(edit.mask, edit.width, edit.height), edit.width, spec.box, Int16Array);
    const frame = [0, 0, edit.height, edit.width];
    setUpLive(column, { ...spec, kind: "grow", frame, levelsOf }, levels, cut(edit.mask, edit.width, spec.box, Uint8Array));
  }

  /** The pixels a column greys (1): its painted mask, its noise mask, or none (null). */
  function greyOf(state) {
    return state.grey === "mask" ? state.mask : state.grey === "noise" ? state.noise : null;
  }

  function colourMethodPixel(state, i) {
    const x = i % state.w, y = (i - x) / state.w;
    colourMethodRun(state, greyOf(state), y, x, x);
  }

  /** A column's pixels x0..x1 of its row y (in its box). */
  function colourMethodRun(state, grey, y, x0, x1) {
    const { top, left, w } = state, out = state.target.words;
    let f = (y + top) * live.edit.width + x0 + left;
    for (let i = y * w + x0, end = y * w + x1; i <= end; i++, f++) out[i] = methodWord(state, grey, i, f);
  }

  /** A column's pixel i (the photo's pixel f): grey where `grey` is 1, else the photo, pink where noise. */
  function methodWord(state, grey, i, f) {
    return grey !== null && grey[i] ? GREY_WORD : state.noise[i] ? tinted(live.base, 4 * f, PINKED) : live.baseWords[f];
  }

  /** A column's noise mask at `amount` and its pixels, all of them: the photo row by row, then, near the mask,
   * the pixels that are grey or in the noise mask. */
  function drawColumn(state, amount) {
    const { levels, noise, top, left, w, h, near } = state, width = live.edit.width, out = state.target.words;
    for (let y = 0; y < h; y++) out.set(live.baseWords.subarray((y + top) * width + left, (y + top) * width + left + w), y * w);
    noise.fill(0);
    const grey = greyOf(state);
    for (let y = near ? near[1] : 0; near && y <= near[3]; y++) {
      for (let x = near[0], i = y * w + x, f = (y + top) * width + x + left; x <= near[2]; x++, i++, f++) {
        if (levels[i] <= amount) noise[i] = 1;
        if (noise[i] || (grey !== null && grey[i])) out[i] = methodWord(state, grey, i, f);
      }
    }
    put(state.target, 0, 0, w - 1, h - 1);
  }

  /** [x0, y0, x1, y1] in a column's box outside which every level is past its range (range[1] + 1), as the painted
   * mask is farther than a level reaches (repaint's reach) from there; null: everywhere. */
  function nearBox(state) {
    const [ft, fl, fh, fw] = state.frame, edit = live.edit, reach = reachOf(state);
    const whole = ft === 0 && fl === 0 && fh === edit.height && fw === edit.width;
    const bounds = M.maskBounds(whole ? edit.mask : cut(edit.mask, edit.width, state.frame, Uint8Array), fw, fh);
    if (!bounds) return null;
    const x0 = Math.max(bounds[0] + fl - reach, state.left) - state.left, y0 = Math.max(bounds[1] + ft - reach, state.top) - state.top;
    const x1 = Math.min(bounds[2] + fl + reach - state.left, state.w - 1), y1 = Math.min(bounds[3] + ft + reach - state.top, state.h - 1);
    return x0 <= x1 && y0 <= y1 ? [x0, y0, x1, y1] : null;
  }

  /** Move one column to `amount`: flip the pixels whose level lies between the old and new amount. */
  function setAmount(column, amount, redrawAll = false, difference = true) {
    const state = live.columns[column];
    if (!state || (!redrawAll && amount === state.amount)) return;
    const started = performance.now();
    const flipped = [];
    if (redrawAll) drawColumn(state, amount);
    else {
      const { order, starts, lo } = sortedLevels(state);
      const a = Math.min(amount, state.amount), b = Math.max(amount, state.amount);
      const from = starts[Math.min(a + 1 - lo, starts.length - 1)], to = starts[Math.min(b + 1 - lo, starts.length - 1)];
      const value = amount > state.amount ? 1 : 0;
      let x0 = state.w, y0 = state.h, x1 = -1, y1 = -1;
      for (let k = from; k < to; k++) {
        const i = order[k], x = i % state.w, y = (i - x) / state.w;
        state.noise[i] = value;
        colourMethodPixel(state, i);
        flipped.push(i);
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      put(state.target, x0, y0, x1, y1);
    }
    state.amount = amount;
    const label = element.querySelector(`[data-column=${column}] .amount`);
    if (label) label.textContent = `${state.name} = ${amount}`;
    sayIfEroded(state);
    if (difference) redrawDifference(redrawAll ? null : { state, flipped });
    updateDecoded();
    live.drawMs.push(performance.now() - started); // what a step costs the page (bench/live_slider.py reads it)
    if (live.drawMs.length > 1000) live.drawMs.shift();
  }

  /** Where the amount erodes every painted pixel, say so under the panel at once (the server's fuller sentence
   * follows the release), with the first amount that keeps some. */
  function sayIfEroded(state) {
    const note = element.querySelector(`[data-column=${state.column}] .eroded-note`);
    if (!note) return;
    let text = "";
    const near = state.near; // outside it nothing is painted and no level is in range (nearBox)
    const rows = near && [near[1] * state.w, (near[3] + 1) * state.w];
    if (rows && state.noise.subarray(...rows).indexOf(1) < 0 && state.mask.subarray(...rows).indexOf(1) >= 0) {
      state.keptFrom ??= Math.min(state.range[1] + 1, lowest(state.levels.subarray(...rows)));
      const keeps = state.keptFrom <= state.range[1] ? ` ${state.name} = ${state.keptFrom} keeps some.` : "";
      text = `${state.name} = ${state.amount} erodes every painted pixel: the noise mask is empty, nothing is inpainted.${keeps}`;
    }
    if (note.textContent !== text) note.textContent = text;
  }

  /** The smallest value of a typed array. */
  function lowest(values) {
    let least = Infinity;
    for (let i = 0; i < values.length; i++) if (values[i] < least) least = values[i];
    return least;
  }

  // ---- where the two noise masks differ, in the input's frame, zoomed to the mask ----
  function setUpDifference(edit, base) {
    const [x0, y0, x1, y1] = M.maskBounds(edit.mask, edit.width, edit.height) ?? [0, 0, edit.width - 1, edit.height - 1];
    const margin = Math.max(24, Math.round(0.15 * Math.max(x1 - x0, y1 - y0)));
    const view = {
      x0: Math.max(0, x0 - margin), y0: Math.max(0, y0 - margin),
      x1: Math.min(edit.width - 1, x1 + margin), y1: Math.min(edit.height - 1, y1 + margin),
    };
    view.target = surface(element.querySelector(".difference canvas"), view.x1 - view.x0 + 1, view.y1 - view.y0 + 1);
    view.base = base;
    live.difference = view;
  }

  /** Where the difference reads a column's noise mask: {noise, top, left, w, h} (0 outside the box), or {all}. */
  function noiseSource(column) {
    if (!live.columns[column] && live.chosen[column] !== PLACES[column]) {
      const served = servedFor(column);
      if (!served) return { all: 0 };
      if (!served.noise) return { all: 1 }; // no noise mask: the sampler repaints everything
      const [top, left, h, w] = served.box;
      return { noise: served.noise, top, left, w, h };
    }
    const s = live.columns[column];
    return s ? { noise: s.noise, top: s.top, left: s.left, w: s.w, h: s.h } : { all: 0 };
  }

  /** The source's noise at image pixel (x, y). */
  function noiseAt({ all, noise, top, left, w, h }, x, y) {
    if (all !== undefined) return all;
    return x < left || y < top || x >= left + w || y >= top + h ? 0 : noise[(y - top) * w + (x - left)];
  }

  /** out[k] = the source's noise at image pixel (x0 + k, y), for x0..x1. */
  function noiseRun(source, y, x0, x1, out) {
    const n = x1 - x0 + 1;
    if (source.all !== undefined) return out.fill(source.all, 0, n);
    const { noise, top, left, w, h } = source;
    out.fill(0, 0, n);
    const a = Math.max(x0, left), b = Math.min(x1, left + w - 1);
    if (y >= top && y < top + h && a <= b) out.set(noise.subarray((y - top) * w + a - left, (y - top) * w + b - left + 1), a - x0);
    return out;
  }

  /** The difference's pixels of image rectangle x0..x1, y0..y1 (within its view), as the two columns' noise says. */
  function colourDifference(view, x0, y0, x1, y1) {
    const sources = COLUMNS.map(noiseSource), width = live.edit.width, out = view.target.words;
    const left = new Uint8Array(x1 - x0 + 1), right = new Uint8Array(x1 - x0 + 1);
    for (let y = y0; y <= y1; y++) {
      noiseRun(sources[0], y, x0, x1, left);
      noiseRun(sources[1], y, x0, x1, right);
      let o = (y - view.y0) * view.target.w + (x0 - view.x0), f = (y * width + x0) * 4;
      const same = left.indexOf(1 - left[0]) < 0 && right.indexOf(1 - right[0]) < 0; // one colour the whole run
      if (same) for (let k = 0, t = DIFFERENCE[2 * left[0] + right[0]]; k < left.length; k++, o++, f += 4) out[o] = tinted(view.base, f, t);
      else for (let k = 0; k < left.length; k++, o++, f += 4) out[o] = tinted(view.base, f, DIFFERENCE[2 * left[k] + right[k]]);
    }
  }

  function redrawDifference(change) {
    const view = live.difference;
    if (!view) return;
    const bothNodes = COLUMNS.every((column) => live.columns[column]?.kind === "node");
    if (!change) {
      colourDifference(view, view.x0, view.y0, view.x1, view.y1);
      put(view.target, 0, 0, view.target.w - 1, view.target.h - 1);
    } else {
      const { state, flipped } = change;
      const sources = COLUMNS.map(noiseSource), out = view.target.words, width = live.edit.width;
      let x0 = view.target.w, y0 = view.target.h, x1 = -1, y1 = -1;
      for (const i of flipped) {
        const x = (i % state.w) + state.left, y = Math.floor(i / state.w) + state.top;
        if (x < view.x0 || x > view.x1 || y < view.y0 || y > view.y1) continue;
        const o = (y - view.y0) * view.target.w + (x - view.x0);
        out[o] = tinted(view.base, (y * width + x) * 4, DIFFERENCE[2 * noiseAt(sources[0], x, y) + noiseAt(sources[1], x, y)]);
        const vx = x - view.x0, vy = y - view.y0;
        if (vx < x0) x0 = vx; if (vx > x1) x1 = vx; if (vy < y0) y0 = vy; if (vy > y1) y1 = vy;
      }
      put(view.target, x0, y0, x1, y1);
    }
    element.querySelector(".difference .rings").innerHTML = bothNodes ? ringText()
      : "A soft noise mask counts wherever it is above 0: the sampler repaints there, in part.";
    for (const column of COLUMNS) element.querySelector(`.difference .only-${column}`).textContent = `only ${titleOf(column)}`;
  }

  /** How far each node's noise mask reaches beyond the painted mask, each way, in pixels (each in its place). */
  function ringText() {
    const k = live.columns.left.amount, n = live.columns.right.amount;
    const comfyUp = k ? k - 1 - Math.floor(k / 2) : 0, comfyDown = Math.floor(k / 2);
    const dUp = n - comfyUp, dDown = n - comfyDown;
    const say = (d) => (d > 0 ? `WAS ${d} px further` : d < 0 ? `ComfyUI ${-d} px further` : "the same");
    return `ComfyUI grows ${comfyUp} px up/left, ${comfyDown} px down/right; WAS ${n >= 0 ? "grows" : "shrinks"} ` +
      `${Math.abs(n)} px every side.<br>Up/left: ${say(dUp)}; down/right: ${say(dDown)}.`;
  }

  // ---- decoded latents: current, or dimmed with what they are waiting for ----
  function updateDecoded() {
    const decoded = live.decoded;
    let stale = false;
    for (const column of COLUMNS) {
      const card = element.querySelector(`[data-column=${column}] .decoded`);
      const server = live.chosen[column] !== PLACES[column];
      const entry = decoded && decoded[column];
      const fits = entry && (server ? entry.override && entry.override.method === live.chosen[column] : !entry.override);
      const made = fits ? entry : null;
      const img = card.querySelector("img");
      if (made && img.dataset.url !== made.url) { img.src = made.url; img.dataset.url = made.url; }
      img.style.visibility = made ? "visible" : "hidden";
      const state = live.columns[column], amount = state?.amount;
      let note = "";
      if (!live.edit) note = "";
      else if (server && !made) note = `preparing ${live.chosen[column]}…`;
      else if (!made || made.key !== live.edit.key) {
        note = live.painting ? "the mask changed: encodes when the stroke ends" : "encoding the new mask…";
      }
      else if (state && state.follows && made.amount !== amount) {
        const said = `${state.name} = ${amount}`;
        note = live.released[column] ? `encoding for ${said}…` : `${said}: encodes when you let go`;
      }
      card.classList.toggle("stale", note !== "");
      card.querySelector(".note").textContent = note || (made ? `${made.timing}` : "");
      stale ||= note !== "" || (!server && made && state && made.amount !== amount); // an amount not yet sent
    }
    const advice = document.querySelector("#advice"); // it speaks of the amounts the server last saw
    if (advice) advice.style.opacity = stale ? "0.45" : "";
  }

  // ---- columns holding another method: the server's drawing, and its mask as bits for the difference ----
  function titleOf(column) {
    const chosen = live.chosen[column];
    return chosen === PLACES[column] ? NODES[chosen].title : servedFor(column)?.title ?? chosen;
  }

  /** The server's drawing of the method the column holds, for this edit; null while it is being made. */
  function servedFor(column) {
    const served = live.served[column];
    return served && served.method === live.chosen[column] && live.edit && served.key === live.edit.key ? served : null;
  }

  function takeServed(value) {
    for (const column of COLUMNS) {
      const entry = value[column] && value[column].override;
      if (!entry) continue;
      const served = { ...entry, key: value.key, noise: null };
      if (entry.bits) served.noise = M.unpackBits(entry.bits, entry.box[2] * entry.box[3]);
      live.served[column] = served;
    }
    showColumns();
  }

  /** Each column as what it holds: a live canvas for its node, or for GrowMask where the server says the
   * mask is the painted 0/1 mask; otherwise the server's drawing (or a note while it is being made). */
  function showColumns() {
    for (const column of COLUMNS) {
      const section = element.querySelector(`[data-column=${column}]`);
      const chosen = live.chosen[column], own = chosen === PLACES[column], served = own ? null : servedFor(column);
      const state = live.columns[column];
      if (live.edit && own && state?.kind !== "node") setUpNode(column);
      else if (served?.live && state?.signature !== signature(served)) {
        setUpServed(column, { ...served.live, signature: signature(served) });
      } else if (!own && !served?.live) delete live.columns[column];
      const drawn = !!live.columns[column];
      section.classList.toggle("other", !own);
      section.classList.toggle("server", !own && !drawn);
      section.querySelector(".stage").classList.toggle("pending", !own && !served);
      const title = section.querySelector("h3");
      title.dataset.node ??= title.innerHTML;
      if (own) title.innerHTML = title.dataset.node;
      else {
        title.textContent = served ? served.title : `Preparing ${chosen}…`;
        if (drawn) title.insertAdjacentHTML("beforeend", ' <span class="amount"></span>');
      }
      const now = live.columns[column];
      if (now) section.querySelector(".amount").textContent = `${now.name} = ${now.amount}`;
      const legend = section.querySelector(".server-legend");
      const greys = served?.live && (served.live.grey ?? NODES[served.live.node].grey);
      const greyNote = { noise: " = grey (neutralised)", mask: " (grey: the painted mask)" }[greys] ?? "";
      if (!own) legend.innerHTML = '<i class="sw pink"></i>' + (!served ? "noise mask" : served.live
        ? `noise mask${greyNote}, drawn live: ${served.live.name} follows the slider`
        : "noise mask, soft drawn soft (server-drawn)");
      const img = section.querySelector(".server-mask");
      if (served && img.dataset.url !== served.image) { img.src = served.image; img.dataset.url = served.image; }
    }
    redrawDifference(null);
    updateDecoded();
  }

  /** What a column's live state from the server depends on: the edit, the method and its box, corners, range. */
  function signature(served) {
    const spec = served.live;
    return [served.key, served.method, spec.node, spec.box, spec.tapered, spec.range, spec.grey].join("|");
  }

  // ---- from the server ----
  /** An edit of the photo and crops shown, whose mask is the one painted here (by digest): only its key is
   * new (the server's name for this mask, which its decoded latents carry). A mask the painter has moved past
   * is left alone: the painter's newer one is on its way. */
  function samePhoto(value) {
    const edit = live.edit;
    if (!edit || edit.image !== value.image || edit.ratio !== value.ratio || edit.width !== value.width
      || edit.height !== value.height) return false;
    const same = M.maskDigest(edit.mask) === value.digest;
    if (same) {
      live.photoPending = false;
      edit.key = value.key;
      element.dataset.edit = value.key;
      behind(false);
      showColumns();
    }
    return same || String(edit.key).startsWith("painted:");
  }

  /** The painter's mask where it shows a photo of this edit's size, else null (it is still loading it). */
  function paintersMask(value) {
    const painter = window.inpaintPainter;
    return painter?.mask && painter.width === value.width && painter.height === value.height ? painter.mask : null;
  }

  async function onValue() {
    const value = props.value;
    if (!value || typeof value !== "object") return;
    if (live.painting) return; // a stroke under way: the server's answers are for an older mask, taken after it
    if (value.kind === "invalid") { // a settings box refused: the column shows its last valid settings
      for (const column of COLUMNS) {
        const refused = value.places[column];
        element.querySelector(`[data-column=${column}] .invalid-note`).textContent = refused
          ? `Showing the last valid settings: the box is refused (${refused}).` : "";
      }
      return;
    }
    if (value.kind === "decoded") {
      for (const note of element.querySelectorAll(".invalid-note")) note.textContent = "";
      live.decoded = value;
      takeServed(value);
      return;
    }
    if (value.kind !== "edit" || (live.edit && live.edit.key === value.key && live.edit.ratio === value.ratio)) return;
    if (samePhoto(value) || !paintersMask(value)) return; // the painter, once it shows the photo, paints it
    const arrival = (live.arrivals = (live.arrivals || 0) + 1);
    const started = performance.now();
    const image = await loadImage(value.image);
    if (arrival !== live.arrivals) return; // a newer edit arrived while this image loaded
    const canvas = document.createElement("canvas");
    canvas.width = value.width;
    canvas.height = value.height;
    const context = canvas.getContext("2d", { alpha: false, willReadFrequently: true }); // a JPEG: opaque, as drawn
    context.drawImage(image, 0, 0, value.width, value.height);
    image.close();
    live.base = context.getImageData(0, 0, value.width, value.height).data;
    live.baseWords = new Uint32Array(live.base.buffer);
    const loaded = performance.now();
    const painted = paintersMask(value);
    if (!painted) return;
    live.edit = { ...value, mask: painted.slice() };
    if (M.maskDigest(live.edit.mask) !== value.digest) live.edit.key = "painted:loading"; // the painter's is on its way
    live.photoPending = false;
    behind(false);
    live.columns = {};
    element.querySelector(".live-grid").classList.add("ready");
    setUpDifference(live.edit, live.base);
    showColumns();
    element.dataset.edit = value.key;
    live.setUpMs = { photo: loaded - started, panels: performance.now() - loaded }; // bench/large_photo.py, live_setup.py
  }

  // ---- strokes from the painter (web/painter.js): drawn here in the frame they are painted ----
  /** The painter's mask (image size, 0/1): both columns and the difference redrawn from it; the decoded
   * latents and the server's panels are marked as behind until the server has read this mask. */
  live.paint = (mask, width, height, dirty = [0, 0, width - 1, height - 1], final = false) => {
    if (final) setTimeout(onValue, 0); // the server's latest edit may name this mask (a photo or example loaded)
    const edit = live.edit;
    if (!edit || live.photoPending || edit.width !== width || edit.height !== height) return false;
    const started = performance.now();
    edit.mask.set(mask);
    edit.key = `painted:${(live.strokes = (live.strokes || 0) + 1)}`;
    live.painting = !final; // a stroke still under way: nothing is sent before it ends
    let reach = 0;
    for (const column of COLUMNS) if (live.columns[column]) reach = Math.max(reach, repaint(live.columns[column], dirty));
    if (final) {
      for (const column of COLUMNS) if (live.columns[column]) sayIfEroded(live.columns[column]);
      setUpDifference(edit, live.base);
      redrawDifference(null);
    } else {
      redrawRegion([dirty[0] - reach, dirty[1] - reach, dirty[2] + reach, dirty[3] + reach]);
    }
    updateDecoded();
    behind(true);
    live.paintMs.push(performance.now() - started);
    if (live.paintMs.length > 1000) live.paintMs.shift();
    return true;
  };

  /** How far a column's level reaches: one depends only on the painted mask within this many pixels. */
  function reachOf(state) {
    return Math.max(Math.abs(state.range[0]), Math.abs(state.range[1])) + 2;
  }

  /** A column's levels, mask and pixels anew where painted pixels (`dirty`, image x0, y0, x1, y1) can reach:
   * a level depends only on the mask within the amount's range, so levels recomputed over the dirty
   * rectangle grown by twice the range, kept where it is grown once, equal the whole computation. */
  function repaint(state, [dx0, dy0, dx1, dy1]) {
    const reach = reachOf(state);
    const [ft, fl, fh, fw] = state.frame, [top, left, h, w] = [state.top, state.left, state.h, state.w];
    const clip = (x0, y0, x1, y1, t, l, hh, ww) => [Math.max(x0, l), Math.max(y0, t), Math.min(x1, l + ww - 1), Math.min(y1, t + hh - 1)];
    const [wx0, wy0, wx1, wy1] = clip(dx0 - 2 * reach, dy0 - 2 * reach, dx1 + 2 * reach, dy1 + 2 * reach, ft, fl, fh, fw);
    let [ix0, iy0, ix1, iy1] = clip(dx0 - reach, dy0 - reach, dx1 + reach, dy1 + reach, ft, fl, fh, fw);
    [ix0, iy0, ix1, iy1] = clip(ix0, iy0, ix1, iy1, top, left, h, w);
    if (ix1 < ix0 || iy1 < iy0) return reach;
    const ww = wx1 - wx0 + 1, wh = wy1 - wy0 + 1, width = live.edit.width;
    const patch = cut(live.edit.mask, width, [wy0, wx0, wh, ww], Uint8Array);
    const levels = state.levelsOf(patch, ww, wh);
    const grey = greyOf(state);
    for (let y = iy0; y <= iy1; y++) {
      for (let x = ix0; x <= ix1; x++) {
        const i = (y - top) * w + (x - left);
        state.levels[i] = levels[(y - wy0) * ww + (x - wx0)];
        state.mask[i] = live.edit.mask[y * width + x];
        state.noise[i] = state.levels[i] <= state.amount ? 1 : 0;
      }
      colourMethodRun(state, grey, y - top, ix0 - left, ix1 - left);
    }
    state.unsorted = true;
    state.keptFrom = undefined;
    const near = state.near ?? [w, h, -1, -1]; // levels changed in the painted rectangle only
    state.near = [Math.min(near[0], ix0 - left), Math.min(near[1], iy0 - top), Math.max(near[2], ix1 - left), Math.max(near[3], iy1 - top)];
    put(state.target, ix0 - left, iy0 - top, ix1 - left, iy1 - top);
    return reach;
  }

  /** The difference panel's pixels in an image rectangle (x0, y0, x1, y1), within its view. */
  function redrawRegion([x0, y0, x1, y1]) {
    const view = live.difference;
    if (!view) return;
    const a = Math.max(x0, view.x0), b = Math.max(y0, view.y0), c = Math.min(x1, view.x1), d = Math.min(y1, view.y1);
    if (a > c || b > d) return;
    colourDifference(view, a, b, c, d);
    put(view.target, a - view.x0, b - view.y0, c - view.x0, d - view.y0);
  }
  /** A new photo was chosen: everything shown is the previous one's until the server has read it. */
  live.photo = () => {
    live.photoPending = true;
    behind(true);
  };
  function behind(waiting) {
    element.style.opacity = waiting && live.photoPending ? "0.45" : "";
  }

  // ---- the sliders: every input event (each drag step, each arrow key) redraws at once ----
  function columnOf(target) {
    for (const column of COLUMNS) if (target.closest && target.closest(`#${column}-amount`)) return column;
    return null;
  }
  document.addEventListener("input", (event) => {
    const column = columnOf(event.target);
    const value = Number(event.target.value);
    if (!column || !Number.isInteger(value)) return;
    live.released[column] = false;
    const state = live.columns[column];
    if (state) setAmount(column, Math.max(state.range[0], Math.min(state.range[1], value)));
  }, true);
  document.addEventListener("change", (event) => {
    const column = columnOf(event.target);
    if (!column) return;
    live.released[column] = true;
    updateDecoded();
  }, true);
  // Gradio's slider settles (its `release`) on pointer-up and blur only: keys settle it too.
  document.addEventListener("keyup", (event) => {
    const column = columnOf(event.target);
    const settles = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", "Enter"];
    if (column && settles.includes(event.key)) event.target.dispatchEvent(new PointerEvent("pointerup", { bubbles: true }));
  }, true);
  live.redraw = (column) => setAmount(column, live.columns[column].amount, true);
  live.choose = (column, chosen) => {
    if (!(column in live.chosen) || typeof chosen !== "string") return;
    live.chosen[column] = chosen;
    showColumns();
  };
  live.setAmount = (column, value) => {
    const state = live.columns[column];
    if (state && state.amount === value) return; // the drag drew it already: not a release (Gradio's change)
    live.released[column] = true;
    if (state && Number.isInteger(value)) setAmount(column, Math.max(state.range[0], Math.min(state.range[1], value)));
    updateDecoded();
  };

  watch("value", onValue);
  onValue();
})();
