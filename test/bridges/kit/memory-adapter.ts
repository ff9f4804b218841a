import type {
  AdapterStatus,
  BotIdentity,
  ChannelAdapter,
  ChannelCapabilities,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
} from "../../../agent/src/bridges/types.js";

/** One message as the "platform" holds it. */
export interface PlatformMessage {
  id: string;
  chatId: string;
  text: string;
  edits: number;
  outboxId?: string;
}

/**
 * The platform side of an in-memory bridge, shared by every adapter instance the runner creates (as a real
 * server outlives one connection): holds delivered messages and can drop the connection.
 */
export class MemoryPlatform {
  readonly messages: PlatformMessage[] = [];
  connected = false;
  private next = 1;
  private handler: InboundHandler | undefined;
  private status: ((s: AdapterStatus, e?: Error) => void) | undefined;
  connects = 0;
  /** Fail this many upcoming connection attempts (to exercise backoff). */
  failConnects = 0;

  attach(handler: InboundHandler, status: ((s: AdapterStatus, e?: Error) => void) | undefined): void {
    this.handler = handler;
    this.status = status;
  }

  /** Delivers an inbound message to the connected adapter (awaits the router). */
  async inbound(msg: Partial<InboundMessage> & { text: string }): Promise<void> {
    if (!this.connected || !this.handler) throw new Error("not connected");
    await this.handler({
      id: String(this.next++),
      chatId: "dm-1",
      senderId: "user-1",
      isDirect: true,
      mentionsBot: true,
      isBot: false,
      ...msg,
    });
  }

  /** Cuts the connection: sends fail until the runner reconnects. */
  drop(): void {
    this.connected = false;
    this.status?.("disconnected", new Error("connection reset by test"));
  }

  store(m: OutboundMessage): string {
    if (!this.connected) throw new Error("socket closed");
    const id = `m${this.next++}`;
    this.messages.push({ id, chatId: m.chatId, text: m.text, edits: 0, outboxId: m.outboxId });
    return id;
  }

  edit(messageId: string, text: string): void {
    if (!this.connected) throw new Error("socket closed");
    const m = this.messages.find((x) => x.id === messageId);
    if (!m) throw new Error(`no message ${messageId}`);
    m.text = text;
    m.edits++;
  }
}

/** A ChannelAdapter over a MemoryPlatform, with chosen capabilities. */
export class MemoryAdapter implements ChannelAdapter {
  readonly type = "memory";
  private handler: InboundHandler = () => {};
  private statusHandler: ((s: AdapterStatus, e?: Error) => void) | undefined;
  edit?: (chatId: string, messageId: string, text: string) => Promise<void>;

  constructor(
    readonly id: string,
    readonly capabilities: ChannelCapabilities,
    private readonly platform: MemoryPlatform,
  ) {
    if (capabilities.canEdit) this.edit = async (_c, messageId, text) => this.platform.edit(messageId, text);
  }

  async start(): Promise<void> {
    this.platform.connects++;
    if (this.platform.failConnects > 0) {
      this.platform.failConnects--;
      throw new Error("connection refused");
    }
    this.platform.connected = true;
    this.platform.attach(this.handler, this.statusHandler);
  }

  async stop(): Promise<void> {}

  onMessage(handler: InboundHandler): void {
    this.handler = handler;
  }

  onStatus(handler: (s: AdapterStatus, e?: Error) => void): void {
    this.statusHandler = handler;
  }

  async send(m: OutboundMessage): Promise<string> {
    return this.platform.store(m);
  }

  selfId(): BotIdentity {
    return { id: "bot-1", name: "clawbox" };
  }
}
