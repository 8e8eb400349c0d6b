// Live masks: ComfyUI's grow_mask_by, WAS's signed mask_offset and ComfyUI's GrowMask (signed expand,
// tapered_corners) on a 0/1 mask, computed in the browser.
//
// The specification is inpaint_core/masks.py (grow_mask, offset_mask) and
// inpaint_core/preparations/comfy_mask_nodes.py (grow_mask); tests/test_browser.py holds these functions
// to them bit for bit. Masks are Uint8Array(h * w) of 0/1, row-major, already
// resized, rounded and cropped by the server.
//
// Instead of growing the mask anew on every slider step, each pixel gets a level once per edit:
// the smallest amount at which the method's noise mask covers it. Both operations are nested in
// their amount (a larger amount covers all a smaller one does), so the mask at amount a is exactly
// {level <= a}, and a step from a to b changes only the pixels whose level lies between them.
//
// Levels come from chessboard distances (exact, two raster passes of the 8-neighbour chamfer):
// - ComfyUI, k x k window: odd k = 2p+1 reaches p px each way, so a pixel joins at k = 2*d + 1
//   (d = distance to the mask); even k = 2q reaches q-1 up/left and q down/right, which is the
//   (q-1)-ball moved by a 2 x 2 window down/right, so a pixel joins at k = 2*(e + 1) where e is the
//   smallest distance among itself and its upper, left and upper-left neighbours. Masked: 0.
// - WAS: n > 0 dilates by n px (joins at n = d); n < 0 erodes by |n| px, the outside counting as
//   masked, so a masked pixel leaves at n = -u where u is its distance to the nearest unmasked
//   pixel inside the image: it stays for n >= 1 - u.
// - GrowMask: the same signed rule as WAS, with the node's kernel repeated |expand| times: a 3 x 3 square
//   (chessboard distance) or, with tapered corners, a cross (city-block distance, exact with two raster
//   passes of the 4-neighbour chamfer). The node's reflected border never brings a pixel closer.
// Beyond the largest amount's reach every level is the same (none), so the distances are computed only on the
// mask's bounding box grown by that reach (nearMask): a fresh photo's empty mask costs one scan.
"use strict";

const FAR = 65535; // no such pixel in the image

/** Distance from each pixel to the nearest pixel where mask == target (FAR: none), by two raster passes:
 * chessboard with the diagonal neighbours (`diagonals`), city-block without. */
function chamferDistance(mask, w, h, target, diagonals) {
  const d = new Uint16Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = mask[i] === target ? 0 : FAR;
  for (let y = 0; y < h; y++) { // forward: the left neighbour, and the row above
    for (let x = 0, i = y * w; x < w; x++, i++) {
      let v = d[i];
      if (v === 0) continue;
      if (x > 0 && d[i - 1] + 1 < v) v = d[i - 1] + 1;
      if (y > 0) {
        const up = i - w;
        if (d[up] + 1 < v) v = d[up] + 1;
        if (diagonals && x > 0 && d[up - 1] + 1 < v) v = d[up - 1] + 1;
        if (diagonals && x < w - 1 && d[up + 1] + 1 < v) v = d[up + 1] + 1;
      }
      d[i] = v;
    }
  }
  for (let y = h - 1; y >= 0; y--) { // backward: the right neighbour, and the row below
    for (let x = w - 1, i = y * w + x; x >= 0; x--, i--) {
      let v = d[i];
      if (v === 0) continue;
      if (x < w - 1 && d[i + 1] + 1 < v) v = d[i + 1] + 1;
      if (y < h - 1) {
        const down = i + w;
        if (d[down] + 1 < v) v = d[down] + 1;
        if (diagonals && x < w - 1 && d[down + 1] + 1 < v) v = d[down + 1] + 1;
        if (diagonals && x > 0 && d[down - 1] + 1 < v) v = d[down - 1] + 1;
      }
      d[i] = v;
    }
  }
  return d;
}

/** Chessboard distance from each pixel to the nearest pixel where mask == target (FAR: none). */
function chessboardDistance(mask, w, h, target) {
  return chamferDistance(mask, w, h, target, true);
}

/** City-block (L1) distance from each pixel to the nearest pixel where mask == target (FAR: none). */
function cityBlockDistance(mask, w, h, target) {
  return chamferDistance(mask, w, h, target, false);
}

/** The first index in from..to - 1 where mask is above 0 (to: none), four pixels a read where aligned. */
function firstSet(mask, from, to) {
  let i = from;
  while (i < to && (mask.byteOffset + i) % 4 !== 0) if (mask[i++]) return i - 1;
  if (i === to) return to;
  const words = new Uint32Array(mask.buffer, mask.byteOffset + i, (to - i) >> 2);
  let k = 0;
  while (k < words.length && words[k] === 0) k++;
  for (i += 4 * k; i < to; i++) if (mask[i]) return i;
  return to;
}

/** The last index in from..to - 1 where mask is above 0 (from - 1: none). */
function lastSet(mask, from, to) {
  let i = to;
  while (i > from && (mask.byteOffset + i) % 4 !== 0) if (mask[--i]) return i;
  if (i === from) return from - 1;
  const n = (i - from) >> 2, words = new Uint32Array(mask.buffer, mask.byteOffset + i - 4 * n, n);
  let k = n - 1;
  while (k >= 0 && words[k] === 0) k--;
  for (i = i - 4 * n + 4 * (k + 1) - 1; i >= from; i--) if (mask[i]) return i;
  return from - 1;
}

/** [x0, y0, x1, y1]: the smallest rectangle holding every masked pixel (above 0); null: none. */
function maskBounds(mask, w, h) {
  const first = firstSet(mask, 0, w * h);
  if (first === w * h) return null;
  const last = lastSet(mask, 0, w * h);
  const y0 = Math.floor(first / w), y1 = Math.floor(last / w);
  let x0 = w, x1 = -1;
  for (let y = y0; y <= y1 && (x0 > 0 || x1 < w - 1); y++) {
    const a = firstSet(mask, y * w, (y + 1) * w) - y * w;
    if (a === w) continue;
    if (a < x0) x0 = a;
    const b = lastSet(mask, y * w, (y + 1) * w) - y * w;
    if (b > x1) x1 = b;
  }
  return [x0, y0, x1, y1];
}

/** Int16Array of levels over the whole mask, `levelsOf` run only on the mask's bounding box grown by `reach` px
 * (within the image), `far` elsewhere. Equal to `levelsOf` on the whole mask wherever that gives `far` to every
 * pixel at least `reach` px from the mask, whatever it cannot see beyond the box: distances to the mask are exact
 * in any rectangle that holds it (chessboard and city-block shortest paths stay in the rectangle their ends span),
 * and so is a masked pixel's distance to the nearest unmasked one, as the box's border beyond the mask is unmasked
 * and no farther than any pixel outside it. */
function nearMask(mask, w, h, reach, far, levelsOf) {
  const box = maskBounds(mask, w, h);
  if (!box) return new Int16Array(w * h).fill(far);
  const x0 = Math.max(0, box[0] - reach), y0 = Math.max(0, box[1] - reach);
  const x1 = Math.min(w - 1, box[2] + reach), y1 = Math.min(h - 1, box[3] + reach);
  if (x0 === 0 && y0 === 0 && x1 === w - 1 && y1 === h - 1) return levelsOf(mask, w, h);
  const ww = x1 - x0 + 1, wh = y1 - y0 + 1, patch = new Uint8Array(ww * wh);
  for (let y = 0; y < wh; y++) patch.set(mask.subarray((y + y0) * w + x0, (y + y0) * w + x0 + ww), y * ww);
  const inner = levelsOf(patch, ww, wh), levels = new Int16Array(w * h).fill(far);
  for (let y = 0; y < wh; y++) levels.set(inner.subarray(y * ww, (y + 1) * ww), (y + y0) * w + x0);
  return levels;
}

/** Int16Array: the smallest grow_mask_by (0..max) whose noise mask covers each pixel; max + 1: none. A pixel at
 * distance d >= max + 2 has level max + 1 (even at the edge of the box nearMask hands it, where some of the
 * neighbours it looks at are missing: its e is then no smaller, and e >= d - 1 always). */
function comfyLevels(mask, w, h, max = 64) {
  return nearMask(mask, w, h, max + 2, max + 1, (m, ww, hh) => comfyLevelsWhole(m, ww, hh, max));
}

function comfyLevelsWhole(mask, w, h, max) {
  const d = chessboardDistance(mask, w, h, 1);
  const levels = new Int16Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const di = d[i];
      if (di === FAR) { levels[i] = max + 1; continue; }
      if (di === 0) { levels[i] = 0; continue; }
      let e = di;
      if (x > 0 && d[i - 1] < e) e = d[i - 1];
      if (y > 0 && d[i - w] < e) e = d[i - w];
      if (x > 0 && y > 0 && d[i - w - 1] < e) e = d[i - w - 1];
      let level = max + 1;
      if (2 * di + 1 < level) level = 2 * di + 1;
      if (2 * (e + 1) < level) level = 2 * (e + 1);
      levels[i] = level;
    }
  }
  return levels;
}

/** Int16Array: the smallest mask_offset (min..max) whose noise mask covers each pixel; max + 1: none. An unmasked
 * pixel's level is its distance to the mask, so from max + 1 px on it is max + 1. */
function wasLevels(mask, w, h, min = -128, max = 128, distance = chessboardDistance) {
  const far = Math.max(min, max + 1);
  return nearMask(mask, w, h, Math.max(1, max + 1), far, (m, ww, hh) => wasLevelsWhole(m, ww, hh, min, max, distance));
}

function wasLevelsWhole(mask, w, h, min, max, distance) {
  const toMask = distance(mask, w, h, 1);
  const toOutside = distance(mask, w, h, 0);
  const levels = new Int16Array(w * h);
  for (let i = 0; i < w * h; i++) {
    let level = mask[i] ? (toOutside[i] === FAR ? min : 1 - toOutside[i]) : toMask[i];
    if (level > max + 1) level = max + 1;
    if (level < min) level = min;
    levels[i] = level;
  }
  return levels;
}

/** Int16Array: the smallest GrowMask expand (min..max) whose mask covers each pixel; max + 1: none. */
function growMaskLevels(mask, w, h, taperedCorners, min = -128, max = 128) {
  return wasLevels(mask, w, h, min, max, taperedCorners ? cityBlockDistance : chessboardDistance);
}

/** Uint8Array 0/1: the pixels whose level is at most `amount`. */
function atAmount(levels, amount) {
  const out = new Uint8Array(levels.length);
  for (let i = 0; i < levels.length; i++) out[i] = levels[i] <= amount ? 1 : 0;
  return out;
}

/** ComfyUI's grow_mask_by on a 0/1 mask (inpaint_core.masks.grow_mask). */
function growMask(mask, w, h, growMaskBy) {
  return atAmount(comfyLevels(mask, w, h), growMaskBy);
}

/** WAS's signed mask_offset on a 0/1 mask (inpaint_core.masks.offset_mask). */
function offsetMask(mask, w, h, maskOffset) {
  return atAmount(wasLevels(mask, w, h), maskOffset);
}

/** ComfyUI's GrowMask on a 0/1 mask (inpaint_core.preparations.comfy_mask_nodes.grow_mask). */
function growMaskNode(mask, w, h, expand, taperedCorners) {
  return atAmount(growMaskLevels(mask, w, h, taperedCorners, Math.min(expand, -1), Math.max(expand, 1)), expand);
}

/** The pixels whose level lies strictly between lo and hi, sorted by level (a counting sort), with where each
 * level starts: for lo <= a < b < hi, a step between amounts a and b changes exactly the pixels
 * order[starts[a + 1 - lo] .. starts[b + 1 - lo]); pixels at lo or below are covered at every such amount,
 * those at hi or above at none. Only the rectangle `box` ([x0, y0, x1, y1] in rows of `w`) is read: levels
 * outside it must lie at lo or below, or at hi or above; null: no level between. */
function sortByLevel(levels, lo, hi, w = levels.length, box = [0, 0, w - 1, levels.length / w - 1]) {
  const starts = new Uint32Array(hi - lo + 1);
  for (let y = box ? box[1] : 0; box && y <= box[3]; y++) {
    for (let i = y * w + box[0], end = y * w + box[2]; i <= end; i++) {
      const level = levels[i];
      if (level > lo && level < hi) starts[level - lo + 1]++;
    }
  }
  for (let k = 1; k < starts.length; k++) starts[k] += starts[k - 1];
  const next = starts.slice(), order = new Uint32Array(starts[starts.length - 1]);
  for (let y = box ? box[1] : 0; box && y <= box[3]; y++) {
    for (let i = y * w + box[0], end = y * w + box[2]; i <= end; i++) {
      const level = levels[i];
      if (level > lo && level < hi) order[next[level - lo]++] = i;
    }
  }
  return { order, starts, lo, hi };
}

/** Unpack a base64 string of bits (numpy.packbits order, most significant first) into n 0/1 bytes. */
function unpackBits(base64, n) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return out;
}

/** A 0/1 mask's digest, as web/live.py's mask_digest: two 32-bit polynomial hashes of its bits packed as
 * numpy.packbits packs them (most significant first, the last byte padded with 0), in hex. */
function maskDigest(mask) {
  let h1 = 0, h2 = 0;
  const bit = (v) => (v + 255) >> 8; // 1 where v (0..255) is above 0
  const whole = mask.length - (mask.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const byte = (bit(mask[i]) << 7) | (bit(mask[i + 1]) << 6) | (bit(mask[i + 2]) << 5) | (bit(mask[i + 3]) << 4)
      | (bit(mask[i + 4]) << 3) | (bit(mask[i + 5]) << 2) | (bit(mask[i + 6]) << 1) | bit(mask[i + 7]);
    h1 = (Math.imul(h1, 16777619) + byte) >>> 0;
    h2 = (Math.imul(h2, 1000003) + byte) >>> 0;
  }
  if (whole < mask.length) { // the last byte, padded with 0
    let byte = 0;
    for (let b = whole; b < whole + 8; b++) byte = (byte << 1) | (b < mask.length && mask[b] ? 1 : 0);
    h1 = (Math.imul(h1, 16777619) + byte) >>> 0;
    h2 = (Math.imul(h2, 1000003) + byte) >>> 0;
  }
  return `${h1.toString(16)}.${h2.toString(16)}`;
}

window.inpaintLiveMasks = {
  FAR, chessboardDistance, cityBlockDistance, maskBounds, nearMask, comfyLevels, wasLevels, growMaskLevels, atAmount, growMask, offsetMask,
  growMaskNode, sortByLevel, unpackBits, maskDigest,
};
