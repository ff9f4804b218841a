import { writeTinyGguf } from "./tiny-gguf.js";

/**
 * The ChatML chat template as instruct models ship it in `tokenizer.chat_template` (OpenAI's ChatML,
 * as in Qwen2.5 and many fine-tunes): node-llama-cpp resolves it to its ChatML wrapper, which can call
 * tools (the functions are documented in the system prompt and called with node-llama-cpp's syntax).
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * Absolute path of a tiny random-weight `llama` GGUF with {@link CHATML_TEMPLATE}, for tool calling and
 * structured output tests (written to `os.tmpdir()` on first use, then reused). Trained context 4,096
 * tokens: its tokenizer spells text byte by byte, so a prompt with two documented tools is ~1,000 tokens.
 */
export function toolModelPath(): Promise<string> {
  return writeTinyGguf({ chatTemplate: CHATML_TEMPLATE, contextLength: 4096 });
}
