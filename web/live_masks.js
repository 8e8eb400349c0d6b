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
"use strict";

const FAR = 65535; // no such pixel in the image

/** Distance from each pixel to the nearest pixel where mask == target (FAR: none), by two raster passes:
 * chessboard with the diagonal neighbours (`diagonals`), city-block without. */
function chamferDistance(mask, w, h, target, diagonals) {
  const d = new Uint16Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = mask[i] === target ? 0 : FAR;
  const pass = (y, x, dx, dy) => {
    const i = y * w + x;
    let v = d[i];
    if (v === 0) return;
    const xn = x - dx, yn = y - dy; // the neighbour already visited on this row, and the row before
    if (xn >= 0 && xn < w && d[i - dx] + 1 < v) v = d[i - dx] + 1;
    if (yn >= 0 && yn < h) {
      const row = i - dy * w;
      if (d[row] + 1 < v) v = d[row] + 1;
      if (diagonals && xn >= 0 && xn < w && d[row - dx] + 1 < v) v = d[row - dx] + 1;
      if (diagonals && x + dx >= 0 && x + dx < w && d[row + dx] + 1 < v) v = d[row + dx] + 1;
    }
    d[i] = v;
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pass(y, x, 1, 1);
  for (let y = h - 1; y >= 0; y--) for (let x = w - 1; x >= 0; x--) pass(y, x, -1, -1);
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

/** Int16Array: the smallest grow_mask_by (0..max) whose noise mask covers each pixel; max + 1: none. */
function comfyLevels(mask, w, h, max = 64) {
  const d = chessboardDistance(mask, w, h, 1);
  const levels = new Int16Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (d[i] === FAR) { levels[i] = max + 1; continue; }
      if (d[i] === 0) { levels[i] = 0; continue; }
      let e = d[i];
      if (x > 0 && d[i - 1] < e) e = d[i - 1];
      if (y > 0 && d[i - w] < e) e = d[i - w];
      if (x > 0 && y > 0 && d[i - w - 1] < e) e = d[i - w - 1];
      levels[i] = Math.min(max + 1, 2 * d[i] + 1, 2 * (e + 1));
    }
  }
  return levels;
}

/** Int16Array: the smallest mask_offset (min..max) whose noise mask covers each pixel; max + 1: none. */
function wasLevels(mask, w, h, min = -128, max = 128, distance = chessboardDistance) {
  const toMask = distance(mask, w, h, 1);
  const toOutside = distance(mask, w, h, 0);
  const levels = new Int16Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const level = mask[i] ? (toOutside[i] === FAR ? min : 1 - toOutside[i]) : toMask[i];
    levels[i] = Math.max(min, Math.min(max + 1, level));
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

/** Pixel indices sorted by level (a counting sort), with where each level starts: a step from
 * amount a to b changes exactly the pixels order[starts[min(a,b)+1 - lo] .. starts[max(a,b)+1 - lo]). */
function sortByLevel(levels, lo, hi) {
  const counts = new Uint32Array(hi - lo + 2);
  for (let i = 0; i < levels.length; i++) counts[levels[i] - lo + 1]++;
  for (let k = 1; k < counts.length; k++) counts[k] += counts[k - 1];
  const starts = counts.slice();
  const order = new Uint32Array(levels.length);
  for (let i = 0; i < levels.length; i++) order[counts[levels[i] - lo]++] = i;
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
  for (let i = 0; i < mask.length; i += 8) {
    let byte = 0;
    for (let b = i; b < i + 8; b++) byte = (byte << 1) | (b < mask.length && mask[b] ? 1 : 0);
    h1 = (Math.imul(h1, 16777619) + byte) >>> 0;
    h2 = (Math.imul(h2, 1000003) + byte) >>> 0;
  }
  return `${h1.toString(16)}.${h2.toString(16)}`;
}

window.inpaintLiveMasks = {
  FAR, chessboardDistance, cityBlockDistance, comfyLevels, wasLevels, growMaskLevels, atAmount, growMask, offsetMask,
  growMaskNode, sortByLevel, unpackBits, maskDigest,
};
