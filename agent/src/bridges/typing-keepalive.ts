import type { ChannelAdapter } from "./types.js";

/**
 * Shows "typing…" in `chatId` now and every `intervalMs` until the returned stop function is called.
 * Platforms expire the indicator after about 5 s (Telegram sendChatAction docs: "5 seconds or less";
 * Discord: 10 s), so the default 4000 ms keeps it continuous. Errors are ignored (typing is cosmetic).
 * Does nothing when the adapter cannot show typing.
 */
export function keepTyping(adapter: ChannelAdapter, chatId: string, intervalMs = 4000): () => void {
  if (!adapter.capabilities.canTyping || !adapter.typing) return () => {};
  const typing = adapter.typing.bind(adapter);
  const fire = () => {
    typing(chatId).catch(() => {});
  };
  fire();
  const timer = setInterval(fire, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
