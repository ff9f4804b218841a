// Minimal typings for irc-framework 4.x (the package ships none): only what the IRC adapter uses.
declare module "irc-framework" {
  export interface IrcMessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    account?: string;
    tags: Record<string, string | true | undefined>;
    type: string;
  }
  export class Client {
    constructor(options?: Record<string, unknown>);
    user: { nick: string };
    network: { cap: { isEnabled(name: string): boolean } };
    connected: boolean;
    connect(options: Record<string, unknown>): void;
    quit(message?: string): void;
    say(target: string, message: string): void;
    join(channel: string, key?: string): void;
    // biome-ignore lint/suspicious/noExplicitAny: event payloads differ per event
    on(event: string, listener: (...args: any[]) => void): this;
    // biome-ignore lint/suspicious/noExplicitAny: event payloads differ per event
    once(event: string, listener: (...args: any[]) => void): this;
    // biome-ignore lint/suspicious/noExplicitAny: event payloads differ per event
    off(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
    connection: { end(): void; transport?: { socket?: { destroy(): void } } };
  }
  const IRC: { Client: typeof Client };
  export default IRC;
}
