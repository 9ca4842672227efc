// compare.mjs: the ids npm tiktoken (OpenAI's Rust tiktoken built to WASM, the library Meta's
// Llama 3 tokenizer.py calls) gives for each {"text"} line of TEXTS, against the {"ids"} line
// winnow wrote for it. Prints the first differences and a count; exit 1 if any differ.
// Usage: node compare.mjs TEXTS.jsonl WINNOW_IDS.jsonl TOKENIZER_MODEL
import fs from "fs";
import { Tiktoken } from "tiktoken/lite";

const [textsPath, idsPath, modelPath] = process.argv.slice(2);
const lines = (p) => fs.readFileSync(p, "utf8").split("\n").filter((l) => l);
const texts = lines(textsPath).map((l) => JSON.parse(l).text);
const winnow = lines(idsPath).map((l) => JSON.parse(l).ids.join(" "));
// Meta's pattern (tokenizer.py); encode_ordinary: special-token names are plain text there too
const pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const tk = new Tiktoken(fs.readFileSync(modelPath, "utf8"), {}, pattern);
let differ = 0;
for (let i = 0; i < texts.length; i++) {
  const want = Array.from(tk.encode_ordinary(texts[i])).join(" ");
  if (want === winnow[i]) continue;
  if (++differ <= 5)
    console.log(`text ${i + 1}: ${JSON.stringify(texts[i])}\n  tiktoken ${want}\n  winnow   ${winnow[i]}`);
}
tk.free();
console.log(`${texts.length} texts, ${winnow.length} id lines: ${differ} differ from tiktoken`);
process.exit(differ || texts.length !== winnow.length ? 1 : 0);
