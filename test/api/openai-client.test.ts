import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../support/test-model.js";
import { toolModelPath } from "../support/tool-model.js";
import { requireBuiltCli, runCli, type StartedAgent, startCliOnModel } from "./cli-process.js";

/**
 * The official `openai` npm client against real agents (`clawbox start`, real engine): the story model
 * (no chat template) for legacy completions, embeddings, models, penalties and errors; a generated
 * random-weight GGUF with a ChatML template for tools and structured output, where what is checked is what
 * grammars guarantee (a parseable, schema-valid call or reply), never the words.
 */

interface Running {
  agent: StartedAgent;
  dataDir: string;
  client: OpenAI;
  modelId: string;
}

const ajv = new Ajv({ strict: false });
/** Two agents start at once on a shared 2-core machine; a start has taken 50 s under load. */
const START_TIMEOUT_MS = 180_000;
let story: Running;
let tooling: Running;

async function start(modelPath: string, contextSize: number): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-openai-"));
  const agent = await startCliOnModel(modelPath, dataDir, contextSize, START_TIMEOUT_MS);
  const printed = await runCli(["token", "--data-dir", dataDir]);
  expect(printed.code).toBe(0);
  const client = new OpenAI({ apiKey: printed.stdout.trim(), baseURL: `${agent.url}/v1`, maxRetries: 0 });
  let modelId = "";
  for (let i = 0; i < 600 && modelId === ""; i++) {
    modelId = (await client.models.list()).data[0]?.id ?? "";
    if (modelId === "") await new Promise((r) => setTimeout(r, 50));
  }
  expect(modelId).not.toBe("");
  return { agent, dataDir, client, modelId };
}

beforeAll(async () => {
  requireBuiltCli();
  [story, tooling] = await Promise.all([
    start(await testModelPath(), 512),
    start(await toolModelPath(), 4096),
  ]);
}, START_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const r of [story, tooling]) {
    await r?.agent.stop();
    if (r) rmSync(r.dataDir, { recursive: true, force: true });
  }
});

const WEATHER = {
  type: "object",
  properties: {
    city: { type: "string", maxLength: 12 },
    unit: { enum: ["celsius", "fahrenheit"] },
  },
  required: ["city", "unit"],
  additionalProperties: false,
} as const;

const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "get_weather", description: "Weather of a city", parameters: WEATHER },
  },
  {
    type: "function",
    function: {
      name: "set_alarm",
      description: "Sets an alarm",
      parameters: {
        type: "object",
        properties: { hour: { enum: [6, 7, 8] }, label: { type: "string", maxLength: 10 } },
        required: ["hour", "label"],
        additionalProperties: false,
      },
    },
  },
];

function schemaOf(name: string): object {
  const tool = TOOLS.find((t) => t.type === "function" && t.function.name === name);
  return (tool as { function: { parameters: object } }).function.parameters;
}

describe("tools (generated ChatML model)", () => {
  it("tool_choice required (parallel_tool_calls false): one call with schema-valid arguments, finish_reason tool_calls", async () => {
    const res = await tooling.client.chat.completions.create({
      model: tooling.modelId,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: TOOLS,
      tool_choice: "required",
      parallel_tool_calls: false,
      temperature: 0,
      max_tokens: 120,
    });
    const choice = res.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls).toHaveLength(1);
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
    const fn = (call as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function;
    expect(["get_weather", "set_alarm"]).toContain(fn.name);
    const args = JSON.parse(fn.arguments);
    expect(ajv.validate(schemaOf(fn.name), args), JSON.stringify(ajv.errors)).toBe(true);
  });

  it("a named tool_choice calls exactly that tool, also when streamed (index, id, name, argument pieces)", async () => {
    const stream = await tooling.client.chat.completions.create({
      model: tooling.modelId,
      messages: [{ role: "user", content: "Wake me at seven" }],
      tools: TOOLS,
      tool_choice: { type: "function", function: { name: "set_alarm" } },
      temperature: 0,
      max_tokens: 120,
      stream: true,
    });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null = null;
    let argumentPieces = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const d of choice?.delta.tool_calls ?? []) {
        const c = calls.get(d.index) ?? { args: "" };
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name = d.function.name;
        if (d.function?.arguments) {
          c.args += d.function.arguments;
          argumentPieces++;
        }
        calls.set(d.index, c);
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(finish).toBe("tool_calls");
    const call = calls.get(0);
    expect(call?.name).toBe("set_alarm");
    expect(call?.id).toMatch(/^call_/);
    expect(argumentPieces).toBeGreaterThan(1);
    expect(
      ajv.validate(schemaOf("set_alarm"), JSON.parse(call?.args ?? "")),
      JSON.stringify(ajv.errors),
    ).toBe(true);
  });

  it("tool_choice auto: text, or calls whose arguments validate", async () => {
    const res = await tooling.client.chat.completions.create({
      model: tooling.modelId,
      messages: [{ role: "user", content: "Hello" }],
      tools: TOOLS,
      temperature: 0,
      max_tokens: 16,
    });
    const choice = res.choices[0];
    if (choice?.finish_reason === "tool_calls") {
      for (const call of choice.message.tool_calls ?? []) {
        const fn = (call as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function;
        expect(ajv.validate(schemaOf(fn.name), JSON.parse(fn.arguments))).toBe(true);
      }
    } else {
      expect(["stop", "length"]).toContain(choice?.finish_reason);
      expect(typeof choice?.message.content).toBe("string");
    }
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it("takes the call and its tool result back in the history and answers", async () => {
    const res = await tooling.client.chat.completions.create({
      model: tooling.modelId,
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"celsius"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"temperature": 4}' },
      ],
      tools: TOOLS,
      tool_choice: "none",
      temperature: 0,
      max_tokens: 8,
    });
    expect(res.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it("refuses a tool result whose call is missing from the history", async () => {
    const err = await tooling.client.chat.completions
      .create({
        model: tooling.modelId,
        messages: [
          { role: "user", content: "x" },
          { role: "tool", tool_call_id: "call_9", content: "1" },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("call_9");
  });

  it("refuses tools with a 400 naming the model when it has no chat template", async () => {
    const err = await story.client.chat.completions
      .create({ model: story.modelId, messages: [{ role: "user", content: "x" }], tools: TOOLS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain(`model "${story.modelId}" has no chat template`);
  });
});

describe("structured output (generated ChatML model)", () => {
  const schema = {
    type: "object",
    properties: {
      answer: { enum: ["yes", "no", "maybe"] },
      confident: { type: "boolean" },
      note: { type: "string", maxLength: 8 },
    },
    required: ["answer", "confident", "note"],
    additionalProperties: false,
  } as const;

  it("json_schema (strict): the reply parses and validates, streamed or not", async () => {
    const request = {
      model: tooling.modelId,
      messages: [{ role: "user" as const, content: "Is the sky blue?" }],
      response_format: {
        type: "json_schema" as const,
        json_schema: { name: "verdict", strict: true, schema: schema as unknown as Record<string, unknown> },
      },
      temperature: 0,
      max_tokens: 200,
    };
    const res = await tooling.client.chat.completions.create(request);
    const content = res.choices[0]?.message.content ?? "";
    expect(ajv.validate(schema, JSON.parse(content)), JSON.stringify(ajv.errors)).toBe(true);

    const stream = await tooling.client.chat.completions.create({ ...request, stream: true });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(ajv.validate(schema, JSON.parse(streamed)), JSON.stringify(ajv.errors)).toBe(true);
  });

  it("json_object: the reply is a JSON object that ends by itself (finish_reason stop)", async () => {
    const res = await tooling.client.chat.completions.create({
      model: tooling.modelId,
      messages: [{ role: "user", content: "Describe a cat as JSON" }],
      response_format: { type: "json_object" },
      temperature: 0,
      max_tokens: 1500,
    });
    expect(res.choices[0]?.finish_reason).toBe("stop");
    const parsed = JSON.parse(res.choices[0]?.message.content ?? "");
    expect(typeof parsed).toBe("object");
    expect(Array.isArray(parsed)).toBe(false);
  });

  it("refuses a schema keyword the grammar cannot enforce, naming it", async () => {
    const err = await tooling.client.chat.completions
      .create({
        model: tooling.modelId,
        messages: [{ role: "user", content: "x" }],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "n",
            schema: { type: "object", properties: { n: { type: "integer", minimum: 3 } } },
          },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('uses "minimum"');
  });
});

describe("legacy completions, embeddings, models (story model)", () => {
  it("completes a prompt, and streams the same text at temperature 0", async () => {
    const request = { model: story.modelId, prompt: "Once upon a time", max_tokens: 24, temperature: 0 };
    const res = await story.client.completions.create(request);
    expect(res.object).toBe("text_completion");
    const text = res.choices[0]?.text ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(res.choices[0]?.finish_reason);

    const stream = await story.client.completions.create({ ...request, stream: true });
    let streamed = "";
    let pieces = 0;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.text ?? "";
      pieces++;
    }
    expect(pieces).toBeGreaterThan(2);
    expect(streamed).toBe(text);
  });

  it("embeds strings and arrays; base64 (the client's default) decodes to the float vectors", async () => {
    const input = ["Once upon a time", "The cat sat on the mat"];
    const floats = await story.client.embeddings.create({
      model: story.modelId,
      input,
      encoding_format: "float",
    });
    expect(floats.data).toHaveLength(2);
    const [a, b] = floats.data.map((d) => d.embedding);
    expect(a?.length).toBe(64); // stories260K: embedding length 64 (its GGUF metadata)
    expect(a?.every(Number.isFinite)).toBe(true);
    expect(a).not.toEqual(b);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(4);

    const decoded = await story.client.embeddings.create({ model: story.modelId, input });
    for (const [i, d] of decoded.data.entries()) {
      const want = floats.data[i]?.embedding ?? [];
      for (const [j, v] of d.embedding.entries()) expect(v).toBeCloseTo(want[j] ?? Number.NaN, 5);
    }
    const single = await story.client.embeddings.create({ model: story.modelId, input: input[0] as string });
    expect(single.data).toHaveLength(1);
  });

  it("retrieves the loaded model, and 404s an unknown id in the OpenAI shape", async () => {
    const model = await story.client.models.retrieve(story.modelId);
    expect(model.id).toBe(story.modelId);
    const err = await story.client.models.retrieve("no-such-model").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toContain('model "no-such-model" does not exist');
  });

  it("honours frequency/presence penalties and logit_bias (the greedy text changes)", async () => {
    const base = { model: story.modelId, prompt: "Once upon a time", max_tokens: 60, temperature: 0 };
    const plain = (await story.client.completions.create(base)).choices[0]?.text;
    const penalised = (
      await story.client.completions.create({ ...base, frequency_penalty: 2, presence_penalty: 2 })
    ).choices[0]?.text;
    expect(penalised).not.toBe(plain);
    // +100 on one token (id 400 is a word piece of stories260K) makes greedy sampling pick it every time
    const biased = await story.client.completions.create({
      ...base,
      max_tokens: 5,
      logit_bias: { "400": 100 },
    });
    const text = biased.choices[0]?.text ?? "";
    const words = text.trim().split(" ");
    expect(words).toHaveLength(5);
    expect(new Set(words).size).toBe(1);
  });
});

describe("errors", () => {
  it("5 stop sequences: 400 saying at most 4", async () => {
    const err = await story.client.chat.completions
      .create({
        model: story.modelId,
        messages: [{ role: "user", content: "x" }],
        stop: ["a", "b", "c", "d", "e"],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("at most 4");
  });

  it("max_tokens beyond the context size: 400 naming the model's limit", async () => {
    const err = await story.client.completions
      .create({ model: story.modelId, prompt: "x", max_tokens: 100_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("context size");
    expect((err as Error).message).toContain("512 tokens");
  });

  it("logit_bias with an id outside the vocabulary: 400 naming the id range", async () => {
    const err = await story.client.completions
      .create({ model: story.modelId, prompt: "x", logit_bias: { "99999": 5 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain(
      'logit_bias key "99999" is not a token id of this model (ids are 0…511)',
    );
  });

  it("invalid JSON: 400 invalid_request_error without fastify's internal code", async () => {
    const res = await fetch(`${story.agent.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${story.client.apiKey}`, "content-type": "application/json" },
      body: '{"messages": [',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain("FST_");
    const { error } = JSON.parse(text);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toContain("not valid JSON");
  });
});
