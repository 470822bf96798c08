/**
 * A server that stops answering without going away (a hung database, a partitioned network), for
 * fault tests against real PostgreSQL and Redis.
 */
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/** A TCP relay to a real server (PostgreSQL, Redis) that a test can cut (RST), black-hole (accept, never answer) or stall. */
export class Relay {
  mode: 'forward' | 'blackhole' | 'stall' = 'forward';
  private readonly sockets = new Set<Socket>();
  private constructor(readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const relay: Relay = new Relay(createServer((inbound) => relay.accept(inbound, target)));
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private accept(inbound: Socket, target: { host: string; port: number }): void {
    this.sockets.add(inbound);
    inbound.on('error', () => undefined).on('close', () => this.sockets.delete(inbound));
    if (this.mode === 'blackhole') return;
    const outbound = new Socket();
    this.sockets.add(outbound);
    outbound.on('error', () => inbound.destroy()).on('close', () => this.sockets.delete(outbound));
    outbound.connect(target.port, target.host);
    inbound.on('data', (d) => this.mode === 'forward' && outbound.write(d));
    outbound.on('data', (d) => this.mode === 'forward' && inbound.write(d));
    inbound.on('close', () => outbound.destroy());
  }

  /** Resets every open connection. */
  cut(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
