import type { BridgeDefinition } from "../types.js";
import type { SignalBridgeConfig } from "./adapter.js";

/**
 * `type: signal` — a Signal account served by an external signal-cli daemon (`signal-cli -a +NUMBER daemon
 * --http 127.0.0.1:8080`, JSON-RPC + SSE). No npm package: plain HTTP. E.164 pattern from ITU-T E.164
 * (country code + subscriber number, at most 15 digits).
 */
export const signalBridge: BridgeDefinition<SignalBridgeConfig> = {
  type: "signal",
  description: "Signal account through a signal-cli HTTP daemon (JSON-RPC + SSE; runs outside clawbox)",
  properties: {
    url: {
      type: "string",
      pattern: "^https?://[^\\s]+$",
      default: "http://127.0.0.1:8080",
      description:
        "Address of the running `signal-cli daemon --http HOST:PORT` (signal-cli needs Java 21). Keep it on 127.0.0.1: the daemon has no authentication.",
    },
    account: {
      type: "string",
      pattern: "^\\+[1-9][0-9]{6,14}$",
      description:
        "The bot's Signal phone number in international format, e.g. +4915112345678, registered or linked in signal-cli.",
    },
    streamEdits: {
      type: "boolean",
      default: false,
      description:
        "Show the reply while it is written by editing the message. Off by default: Signal allows only about 10 edits per message, so replies come as one message at the end.",
    },
  },
  required: ["account"],
  secretKeys: [],
  senderIdHint:
    "sender's Signal ACI (UUID, e.g. 7ccae375-cd51-4c82-8b1e-7be3280aa485) or their phone number +4915…",
  async create(config, ctx) {
    const { SignalAdapter } = await import("./adapter.js");
    return new SignalAdapter(config, ctx);
  },
};
