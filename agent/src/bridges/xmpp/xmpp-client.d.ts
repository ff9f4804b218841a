// Minimal typings for @xmpp/client 0.14 (the package ships none): only what the XMPP adapter uses.
declare module "@xmpp/client" {
  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildText(name: string, xmlns?: string): string | null;
  }
  export interface XmppJid {
    bare(): { toString(): string };
    toString(): string;
  }
  export interface XmppClient {
    jid?: XmppJid;
    status: string;
    reconnect: { stop(): void };
    start(): Promise<XmppJid>;
    stop(): Promise<void>;
    send(element: XmlElement): Promise<void>;
    // biome-ignore lint/suspicious/noExplicitAny: event payloads differ per event
    on(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
  }
  export function client(options: Record<string, unknown>): XmppClient;
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined>,
    ...children: (XmlElement | string)[]
  ): XmlElement;
}
