import { createHash } from "node:crypto";
import type { ChatMessage } from "../inference/types.js";

/** Longest conversation id accepted from a client (header or `user`), characters. */
export const MAX_CONVERSATION_ID_LENGTH = 128;

/**
 * The conversation a chat request belongs to, so the engine keeps its chat state (and KV cache prefix)
 * per conversation and the store files the exchange under it. In order: the `X-Conversation-Id` header,
 * the OpenAI `user` field, else "h:" + the first 16 hex digits of SHA-256 over the messages up to and
 * including the first user message (an OpenAI client resends them unchanged every turn, so every turn
 * of one chat maps to the same id; two chats that open identically share a prefix, which is also what
 * the KV cache can reuse). Client ids are trimmed and cut to 128 characters.
 */
export function conversationIdFor(
  messages: readonly ChatMessage[],
  opts: { header?: string | string[] | undefined; user?: string | undefined },
): string {
  const header = Array.isArray(opts.header) ? opts.header[0] : opts.header;
  const explicit = header?.trim() || opts.user?.trim();
  if (explicit) return explicit.slice(0, MAX_CONVERSATION_ID_LENGTH);
  const firstUser = messages.findIndex((m) => m.role === "user");
  const opening = messages.slice(0, firstUser === -1 ? messages.length : firstUser + 1);
  const hash = createHash("sha256");
  for (const m of opening) hash.update(`${m.role}\u0000${m.content}\u0000`);
  return `h:${hash.digest("hex").slice(0, 16)}`;
}
