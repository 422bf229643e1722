/**
 * A loopback port where a TCP connect never completes: a listening socket that never accepts,
 * with its one-slot queue already full, so the kernel drops further SYNs. Node always accepts, so
 * the listener is a small Python process. Used to test connect timeouts without the network.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

export interface Blackhole {
  port: number;
  close(): void;
}

export async function startBlackhole(): Promise<Blackhole> {
  const py = spawn('python3', ['-c', "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    py.once('error', reject);
    py.once('exit', (code) => reject(new Error(`blackhole listener exited ${code}`)));
  });
  // Fill the accept queue: this connect completes, every later one hangs in SYN-SENT.
  const filler = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', () => resolve());
    filler.once('error', reject);
  });
  return {
    port,
    close: () => {
      filler.destroy();
      py.kill('SIGKILL');
    },
  };
}
