// server.mjs: a small OpenAI-compatible /v1/chat/completions server around a real llama.cpp
// (npm node-llama-cpp, prebuilt CPU binary) for the tests of `winnow annotate`.
//
//   node server.mjs --model M.gguf --port-file F [--faults SPEC] [--log FILE] [--api-key-env V]
//
// Binds 127.0.0.1 only, on a free port it writes to --port-file once the model is loaded.
// Implements the subset of the API the client uses: messages, max_tokens, temperature, seed,
// logprobs + top_logprobs (OpenAI's choices[0].logprobs.content shape) and llama.cpp
// server's `grammar` (GBNF) extension. With --api-key-env V, a request whose
// "Authorization: Bearer ..." differs from $V gets 401 (the key itself is never printed).
//
// Fault injection (--faults "429=0.1,500=0.1,slow=0.1,garbage=0.1,badjson=0.05,slow-ms=4000,
// retry-after=1"): each request is keyed by a hash of its last message, so which documents
// hit which fault does not depend on arrival order. 429, 500, slow and badjson happen on the
// first attempt for a key only (a retry succeeds); garbage (an answer with no score in it)
// happens on every attempt. --log appends one JSON line per request: {key, attempt, fault,
// t (ms)} so tests can count what was asked, and when.
import http from "node:http";
import fs from "node:fs";
import {getLlama, LlamaGrammarEvaluationState} from "node-llama-cpp";

function parseArgs(argv) {
    const a = {faults: ""};
    for (let i = 2; i < argv.length; i += 2) a[argv[i].replace(/^--/, "")] = argv[i + 1];
    return a;
}
const args = parseArgs(process.argv);
const faults = {};
for (const kv of args.faults.split(",").filter(Boolean)) {
    const [k, v] = kv.split("=");
    faults[k] = Number(v);
}

// FNV-1a over UTF-8 bytes: a stable key for a prompt.
function fnv1a(s) {
    let h = 0x811c9dc5;
    for (const b of Buffer.from(s, "utf8")) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    return h >>> 0;
}

// The fault for a key, from consecutive slices of [0, 1).
function faultFor(key) {
    let u = (key % 10007) / 10007, acc = 0;
    for (const f of ["429", "500", "slow", "garbage", "badjson"]) {
        acc += faults[f] || 0;
        if (u < acc) return f;
    }
    return "";
}

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model});
// One thread: spinning worker threads on a shared, loaded machine cost far more than they
// bring to a 260K-parameter model. The context is longer than the model was trained on;
// answers past it are nonsense, which is all these tests need.
const context = await model.createContext({contextSize: 4096, threads: 1, sequences: 1});
const sequence = context.getSequence();
const attempts = new Map();
let queue = Promise.resolve(); // one generation at a time on the single sequence
let served = 0;

function logLine(obj) {
    if (args.log) fs.appendFileSync(args.log, JSON.stringify(obj) + "\n");
}

function sendJson(res, status, obj, headers = {}) {
    const body = JSON.stringify(obj);
    res.writeHead(status, {"Content-Type": "application/json", ...headers});
    res.end(body);
}

// A token's text as it reads after `prefix` (SentencePiece drops a leading space from a
// token detokenized alone; real servers report the piece as it appears in the answer).
function tokenText(prefix, t) {
    return model.detokenize([...prefix, t]).slice(model.detokenize(prefix).length);
}

function logprobEntry(prefix, t, p, top) {
    const text = tokenText(prefix, t);
    const e = {token: text, logprob: Math.log(Math.max(p, 1e-30)), bytes: [...Buffer.from(text)]};
    if (top) e.top_logprobs = top;
    return e;
}

async function generate(req) {
    const prompt = req.messages.map(m => String(m.content)).join("\n\n") + "\n\n";
    const tokens = model.tokenize(prompt);
    const maxTokens = Math.min(req.max_tokens ?? 64, 512);
    if (tokens.length + maxTokens > context.contextSize)
        return {error: `prompt of ${tokens.length} tokens exceeds the context`};
    await sequence.clearHistory();
    const grammar = req.grammar ? await llama.createGrammar({grammar: req.grammar}) : null;
    const opts = {temperature: req.temperature ?? 0, seed: req.seed ?? 0};
    if (grammar) opts.grammarEvaluationState = new LlamaGrammarEvaluationState({model, grammar});
    const wantLogprobs = !!req.logprobs, k = Math.min(req.top_logprobs ?? 0, 20);
    const out = [], content = [];
    let finish = "length";
    for await (const r of sequence.evaluateWithMetadata(tokens, {probabilities: wantLogprobs}, opts)) {
        if (model.isEogToken(r.token)) { finish = "stop"; break; }
        if (wantLogprobs) {
            const top = [...r.probabilities.entries()].slice(0, k).map(([t, p]) => logprobEntry(out, t, p));
            content.push(logprobEntry(out, r.token, r.probabilities.get(r.token) ?? 0, top));
        }
        out.push(r.token);
        if (out.length >= maxTokens) break;
    }
    if (out.length < maxTokens) finish = "stop"; // end of generation or of the grammar
    return {text: model.detokenize(out), content: wantLogprobs ? content : null,
            finish, promptTokens: tokens.length, completionTokens: out.length};
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", c => chunks.push(c));
    req.on("end", async () => {
        if (req.method !== "POST" || req.url !== "/v1/chat/completions")
            return sendJson(res, 404, {error: {message: "not found", type: "invalid_request_error"}});
        if (args["api-key-env"] &&
            req.headers.authorization !== `Bearer ${process.env[args["api-key-env"]]}`)
            return sendJson(res, 401, {error: {message: "invalid api key", type: "auth_error"}});
        let body;
        try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
            return sendJson(res, 400, {error: {message: "invalid json", type: "invalid_request_error"}});
        }
        const last = body.messages?.[body.messages.length - 1]?.content ?? "";
        const key = fnv1a(String(last));
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        let fault = faultFor(key);
        if (fault !== "garbage" && attempt > 1) fault = "";
        logLine({key, attempt, fault, t: Date.now()});
        if (fault === "429")
            return sendJson(res, 429, {error: {message: "rate limited", type: "rate_limit"}},
                            {"Retry-After": String(faults["retry-after"] ?? 1)});
        if (fault === "500")
            return sendJson(res, 500, {error: {message: "injected failure", type: "server_error"}});
        if (fault === "slow")
            await new Promise(r => setTimeout(r, faults["slow-ms"] ?? 5000));
        if (res.destroyed) return;
        if (fault === "badjson") {
            res.writeHead(200, {"Content-Type": "application/json"});
            return res.end('{"choices": [{"message": {"content": "Educational sc');
        }
        const job = queue.then(() => generate(body));
        queue = job.catch(() => {});
        let g;
        try {
            g = await job;
        } catch (e) {
            return sendJson(res, 500, {error: {message: String(e), type: "server_error"}});
        }
        if (g.error) return sendJson(res, 400, {error: {message: g.error, type: "invalid_request_error"}});
        const text = fault === "garbage" ? "I would rather not say." : g.text;
        const content = fault === "garbage" ? null : g.content;
        served++;
        sendJson(res, 200, {
            id: `chatcmpl-${served}`, object: "chat.completion", created: 0,
            model: body.model ?? "stories260K",
            choices: [{index: 0, message: {role: "assistant", content: text},
                       logprobs: content ? {content} : null, finish_reason: g.finish}],
            usage: {prompt_tokens: g.promptTokens, completion_tokens: g.completionTokens,
                    total_tokens: g.promptTokens + g.completionTokens},
        });
    });
});

server.listen(0, "127.0.0.1", () => {
    const tmp = args["port-file"] + ".tmp";
    fs.writeFileSync(tmp, String(server.address().port));
    fs.renameSync(tmp, args["port-file"]);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
// A test killed before its cleanup must not leave the server behind: exit with the parent.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
