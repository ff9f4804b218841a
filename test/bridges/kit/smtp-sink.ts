import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";

/** One message the sink accepted. */
export interface SunkMail {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server (RFC 5321 subset, no TLS/auth) that keeps every message; `refuse` answers 421. */
export interface SmtpSink {
  port: number;
  mails: SunkMail[];
  /** While true, new connections get "421 try again later" (a transient failure). */
  refuse: boolean;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sockets = new Set<Socket>();
  const sink: SmtpSink = { port: 0, mails: [], refuse: false, close: async () => {} };
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    if (sink.refuse) {
      s.end("421 4.3.2 try again later\r\n");
      return;
    }
    let buffer = "";
    let inData = false;
    let mail: SunkMail = { from: "", to: [], data: "" };
    s.write("220 sink.test ESMTP\r\n");
    s.on("data", (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          mail.data = buffer.slice(0, end).replace(/\r\n\.\./g, "\r\n.");
          buffer = buffer.slice(end + 5);
          inData = false;
          sink.mails.push(mail);
          mail = { from: "", to: [], data: "" };
          s.write("250 2.0.0 queued\r\n");
          continue;
        }
        const nl = buffer.indexOf("\r\n");
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") s.write("250-sink.test\r\n250 8BITMIME\r\n");
        else if (verb === "MAIL") {
          mail.from = line.match(/<([^>]*)>/)?.[1] ?? "";
          s.write("250 2.1.0 ok\r\n");
        } else if (verb === "RCPT") {
          mail.to.push(line.match(/<([^>]*)>/)?.[1] ?? "");
          s.write("250 2.1.5 ok\r\n");
        } else if (verb === "DATA") {
          inData = true;
          s.write("354 go ahead\r\n");
        } else if (verb === "QUIT") s.end("221 bye\r\n");
        else if (verb === "RSET" || verb === "NOOP") s.write("250 ok\r\n");
        else s.write("502 5.5.2 not implemented\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  sink.port = (server.address() as AddressInfo).port;
  sink.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return sink;
}
