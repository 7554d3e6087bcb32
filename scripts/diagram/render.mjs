// Renders a DOT file of docs/ (architecture.dot, architecture-full.dot) to
// SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz, pinned
// in package.json), so `make diagram` needs no system Graphviz.
//
// Usage: node render.mjs in.dot out.svg [--min-text=PX@WIDTH]
//
// It reports how large the smallest text is when the SVG is shown WIDTH
// pixels wide (as a README shows it); with --min-text it fails, writing
// nothing, when that is under PX, so a picture cannot quietly grow too wide
// to read.
import { readFileSync, writeFileSync } from "node:fs";
import { Graphviz } from "@hpcc-js/wasm-graphviz";

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith("--"));
const [input, output] = args.filter((a) => !a.startsWith("--"));
let minText = null;
for (const f of flags) {
  const m = /^--min-text=([0-9.]+)@([0-9]+)$/.exec(f);
  if (!m) {
    console.error(`unknown option ${f}`);
    process.exit(2);
  }
  minText = { px: Number(m[1]), width: Number(m[2]) };
}
if (!input || !output) {
  console.error("usage: node scripts/diagram/render.mjs <in.dot> <out.svg> [--min-text=PX@WIDTH]");
  process.exit(2);
}
const graphviz = await Graphviz.load();
const svg = graphviz.dot(readFileSync(input, "utf8"), "svg");

// Text size on screen: font size (in viewBox units) times the graph's
// scale, times the displayed width over the viewBox width.
// Without --min-text, the width is the SVG's own (Graphviz writes points).
const intrinsic = /<svg width="([0-9.]+)pt"/.exec(svg);
const viewBox = /viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) [0-9.]+"/.exec(svg);
const scale = /class="graph" transform="scale\(([0-9.]+)/.exec(svg);
const sizes = [...svg.matchAll(/font-size="([0-9.]+)"/g)].map((m) => Number(m[1]));
if (!intrinsic || !viewBox || !scale || sizes.length === 0) {
  console.error(`${output}: cannot find the size, the viewBox, the scale or any text in Graphviz's SVG`);
  process.exit(1);
}
const width = minText ? minText.width : Number(intrinsic[1]) * 4 / 3;
const smallest = Math.min(...sizes) * Number(scale[1]) * width / Number(viewBox[1]);
const report = `${output}: smallest text ${smallest.toFixed(1)} px when shown ${Math.round(width)} px wide`;
if (minText && smallest < minText.px) {
  console.error(`${report}, under ${minText.px} px: shorten the labels or the number of columns`);
  process.exit(1);
}
writeFileSync(output, svg);
console.error(`rendered ${output} with Graphviz ${graphviz.version()}; ${report}`);
