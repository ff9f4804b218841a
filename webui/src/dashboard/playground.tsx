import { useEffect, useRef, useState } from "preact/hooks";
import { api, readSse } from "../api.js";
import { ErrorLine, Field } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { role } from "../state.js";

interface Msg {
  role: "user" | "assistant";
  content: string;
}

/**
 * Chat playground: streams replies from the OpenAI-compatible API (`stream: true`) with the device's API
 * token, fetched through the session. The conversation id keeps the model's KV cache warm between turns.
 * A viewer (no API token) chats through `POST /api/dashboard/chat`, answered whole.
 */
export function Playground() {
  const [token, setToken] = useState("");
  const [messages, setMessages] = useState<Msg[]>([]);
  const [input, setInput] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const abort = useRef<AbortController | null>(null);
  const [conversation] = useState(() => `playground-${crypto.randomUUID()}`);
  useEffect(() => {
    if (role.value === "admin")
      void api<{ token: string }>("GET", "/api/dashboard/token").then((r) => setToken(r.token));
    return () => abort.current?.abort();
  }, []);
  const box = useRef<HTMLTextAreaElement>(null);
  const send = async () => {
    const text = (box.current?.value ?? input).trim();
    if (busy || !text) return;
    const history: Msg[] = [...messages, { role: "user", content: text }];
    setMessages([...history, { role: "assistant", content: "" }]);
    setInput("");
    setBusy(true);
    setError(null);
    const controller = new AbortController();
    abort.current = controller;
    let reply = "";
    try {
      if (role.value === "viewer") {
        const r = await api<{ text: string }>("POST", "/api/dashboard/chat", {
          messages: history,
          conversationId: conversation,
        });
        setMessages([...history, { role: "assistant", content: r.text }]);
        return;
      }
      await readSse(
        "/v1/chat/completions",
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            "x-conversation-id": conversation,
          },
          body: JSON.stringify({ messages: history, stream: true, max_tokens: 200 }),
        },
        (data) => {
          if (data === "[DONE]") return;
          const piece = (data as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta
            ?.content;
          if (piece) {
            reply += piece;
            setMessages([...history, { role: "assistant", content: reply }]);
          }
        },
        controller.signal,
      );
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="playground">
      <ol class="chat" aria-live="polite">
        {messages.length === 0 && <li class="note">{t("chat.empty")}</li>}
        {messages.map((m, i) => (
          <li key={i} class={`msg ${m.role}`}>
            <span class="who">{m.role === "user" ? t("chat.you") : t("chat.assistant")}</span>
            <p>{m.content}</p>
          </li>
        ))}
      </ol>
      <ErrorLine error={error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <Field label={t("chat.input")}>
          {({ id }) => (
            <textarea
              id={id}
              ref={box}
              name="message"
              rows={2}
              value={input}
              onInput={(e) => setInput((e.currentTarget as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && !e.shiftKey) {
                  e.preventDefault();
                  void send();
                }
              }}
            />
          )}
        </Field>
        <div class="actions">
          {busy && (
            <button type="button" onClick={() => abort.current?.abort()}>
              {t("chat.stop")}
            </button>
          )}
          <button type="submit" class="primary" disabled={busy || !token}>
            {t("chat.send")}
          </button>
        </div>
      </form>
    </div>
  );
}
