import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";

export type MessageRole = "system" | "user" | "assistant";

/** A conversation row. Times are ISO 8601 UTC strings. */
export interface Conversation {
  id: string;
  /** Where it came from: "api", "cli", later a bridge name ("telegram"). */
  source: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredMessage {
  id: number;
  conversationId: string;
  role: MessageRole;
  content: string;
  /** Tokens by the model's tokenizer when known (completion tokens for replies), else null. */
  tokens: number | null;
  createdAt: string;
}

export interface NewMessage {
  role: MessageRole;
  content: string;
  tokens?: number | null;
}

interface ConversationRow {
  id: string;
  source: string;
  title: string | null;
  created_at: string;
  updated_at: string;
}

interface MessageRow {
  id: number;
  conversation_id: string;
  role: MessageRole;
  content: string;
  tokens: number | null;
  created_at: string;
}

/**
 * Conversations and their messages in the agent's SQLite database (opened by `openDatabase`, which the
 * caller owns and closes). Statements are prepared once and reused. All methods are synchronous
 * (better-sqlite3) and take well under a millisecond on small rows.
 */
export class ConversationStore {
  readonly #insertConversation: Statement<[string, string, string | null, string, string]>;
  readonly #getConversation: Statement<[string], ConversationRow>;
  readonly #touch: Statement<[string, string]>;
  readonly #insertMessage: Statement<[string, MessageRole, string, number | null, string]>;
  readonly #lastMessages: Statement<[string, number], MessageRow>;
  readonly #list: Statement<[number, number], ConversationRow>;
  readonly #delete: Statement<[string]>;
  readonly #count: Statement<[], { n: number }>;
  readonly #appendMany: (conversationId: string, messages: NewMessage[]) => StoredMessage[];

  constructor(db: Database) {
    this.#insertConversation = db.prepare(
      "INSERT INTO conversations (id, source, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.#getConversation = db.prepare("SELECT * FROM conversations WHERE id = ?");
    this.#touch = db.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?");
    this.#insertMessage = db.prepare(
      "INSERT INTO messages (conversation_id, role, content, tokens, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    this.#lastMessages = db.prepare(
      "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
    );
    this.#list = db.prepare(
      "SELECT * FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?",
    );
    this.#delete = db.prepare("DELETE FROM conversations WHERE id = ?");
    this.#count = db.prepare("SELECT COUNT(*) AS n FROM conversations");
    this.#appendMany = db.transaction((conversationId: string, messages: NewMessage[]) => {
      const now = new Date().toISOString();
      const out = messages.map((m) => {
        const tokens = m.tokens ?? null;
        const info = this.#insertMessage.run(conversationId, m.role, m.content, tokens, now);
        return {
          id: Number(info.lastInsertRowid),
          conversationId,
          role: m.role,
          content: m.content,
          tokens,
          createdAt: now,
        };
      });
      this.#touch.run(now, conversationId);
      return out;
    });
  }

  /**
   * Creates a conversation. `id` defaults to a random UUID. Throws SqliteError
   * (SQLITE_CONSTRAINT_PRIMARYKEY) when the id exists; use `ensureConversation` for get-or-create.
   */
  createConversation(opts: { id?: string; source: string; title?: string | null }): Conversation {
    const now = new Date().toISOString();
    const id = opts.id ?? randomUUID();
    const title = opts.title ?? null;
    this.#insertConversation.run(id, opts.source, title, now, now);
    return { id, source: opts.source, title, createdAt: now, updatedAt: now };
  }

  /** The conversation with this id, or null. */
  getConversation(id: string): Conversation | null {
    const row = this.#getConversation.get(id);
    return row ? toConversation(row) : null;
  }

  /** Gets the conversation `opts.id`, creating it when absent; `created` says which happened. */
  ensureConversation(opts: { id: string; source: string; title?: string | null }): {
    conversation: Conversation;
    created: boolean;
  } {
    const existing = this.getConversation(opts.id);
    if (existing) return { conversation: existing, created: false };
    return { conversation: this.createConversation(opts), created: true };
  }

  /**
   * Appends one message and bumps the conversation's `updated_at`. Throws SqliteError
   * (SQLITE_CONSTRAINT_FOREIGNKEY) when the conversation does not exist.
   */
  appendMessage(conversationId: string, message: NewMessage): StoredMessage {
    const [stored] = this.#appendMany(conversationId, [message]);
    return stored as StoredMessage;
  }

  /** Appends several messages in one transaction (all or none), in order. */
  appendMessages(conversationId: string, messages: NewMessage[]): StoredMessage[] {
    return this.#appendMany(conversationId, messages);
  }

  /** The newest `limit` messages (default 1000) of a conversation, oldest first; [] for an unknown id. */
  getMessages(conversationId: string, limit = 1000): StoredMessage[] {
    return this.#lastMessages.all(conversationId, limit).map(toMessage);
  }

  /** Conversations, most recently updated first. */
  listConversations(opts: { limit?: number; offset?: number } = {}): Conversation[] {
    return this.#list.all(opts.limit ?? 100, opts.offset ?? 0).map(toConversation);
  }

  /** Number of conversations stored. */
  countConversations(): number {
    return this.#count.get()?.n ?? 0;
  }

  /** Deletes a conversation and (by cascade) its messages. Returns false when it did not exist. */
  deleteConversation(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }
}

function toConversation(r: ConversationRow): Conversation {
  return { id: r.id, source: r.source, title: r.title, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toMessage(r: MessageRow): StoredMessage {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    role: r.role,
    content: r.content,
    tokens: r.tokens,
    createdAt: r.created_at,
  };
}
