// tok_peers.mjs: tiktoken (npm `tiktoken`, the WASM build of OpenAI's Rust tiktoken) and
// Hugging Face tokenizers (npm `tokenizers`, the official native binding) on the same
// documents as tok_bench.c, one document at a time on one thread; checks that both give
// exactly the ids winnow wrote. Usage: node tok_peers.mjs NODE_DEPS TEXTS.jsonl WINNOW_IDS
//   TOKENIZER_MODEL TOKENIZER_JSON
import { createRequire } from "module";
import fs from "fs";

const [deps, textsPath, idsPath, modelPath, jsonPath] = process.argv.slice(2);
const require = createRequire(deps + "/");
const { Tiktoken } = require("tiktoken/lite");
const { Tokenizer } = require("tokenizers");

const texts = fs.readFileSync(textsPath, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l).text);
const want = fs.readFileSync(idsPath, "utf8").split("\n").slice(0, texts.length);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, "utf8"), 0);
const pat = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function check(name, got) {
  let bad = 0;
  for (let i = 0; i < texts.length; i++) if (got[i] !== want[i]) bad++;
  console.log(`${name.padEnd(13)} ids identical to winnow: ${texts.length - bad}/${texts.length}${bad ? "  MISMATCH" : ""}`);
  return bad;
}

// Wall clock and CPU seconds of the process (all its threads), as tok_bench.c reports.
function report(name, t0, c0) {
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const mb = bytes / 1e6;
  console.log(`${name.padEnd(13)} threads 1  ${(mb / wall).toFixed(1).padStart(7)} MB/s wall  ${(mb / cpu).toFixed(1).padStart(7)} MB/s per CPU-second`);
}

const tk = new Tiktoken(fs.readFileSync(modelPath, "utf8"), {}, pat);
let t0 = performance.now(), c0 = process.cpuUsage();
const tkIds = texts.map((t) => Array.from(tk.encode_ordinary(t)).join(" "));
report("tiktoken", t0, c0);
let bad = check("tiktoken", tkIds);

const hf = Tokenizer.fromFile(jsonPath);
t0 = performance.now();
c0 = process.cpuUsage();
const hfIds = [];
for (const t of texts) hfIds.push((await hf.encode(t, null, { addSpecialTokens: false })).getIds().join(" "));
report("tokenizers", t0, c0);
bad += check("tokenizers", hfIds);
process.exit(bad ? 1 : 0);
