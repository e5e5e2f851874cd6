// A private Dovecot IMAP server on loopback for the e-mail trigger's tests: its own config, users and
// maildirs in a temp dir, on a free port, plain IMAP (no TLS) with plaintext login allowed — loopback
// only. Started in the foreground (no system service) and stopped by its pid. Needs Debian's
// dovecot-imapd (scripts/pretest.mjs installs it) and root (mail is stored as `nobody`).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

export interface ImapServer {
  host: string;
  port: number;
  dir: string;
  /** an IMAP session as `user` (the test's own view of the mailbox) */
  client(user: string, pass: string): Promise<ImapFlow>;
  /** ends every open session of `user` (doveadm kick), as a server restart would */
  kick(user: string): Promise<void>;
  stop(): Promise<void>;
}

const NOBODY = 65534;
const NOGROUP = 65534;

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

async function waitForGreeting(port: number, timeoutMs: number, proc: ChildProcess, log: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dovecot exited (${proc.exitCode}): ${safeRead(log)}`);
    const ok = await new Promise<boolean>((done) => {
      const s = connect(port, '127.0.0.1');
      s.setTimeout(1000);
      s.once('data', (d) => {
        s.destroy();
        done(d.toString().startsWith('* OK'));
      });
      s.once('error', () => done(false));
      s.once('timeout', () => {
        s.destroy();
        done(false);
      });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`dovecot did not answer on ${port}: ${safeRead(log)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const safeRead = (f: string) => {
  try {
    return readFileSync(f, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
};

/** Starts Dovecot with these users (name → password); `noIdle`: a server that does not offer IDLE. */
export async function startImapServer(users: Record<string, string>, opts: { noIdle?: boolean } = {}): Promise<ImapServer> {
  if (process.getuid?.() !== 0) throw new Error('the IMAP tests start Dovecot, which needs root (as npm test\'s pretest does)');
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-imap-'));
  chmodSync(dir, 0o755); // Dovecot's auth process (user dovecot) reads the users file
  for (const d of ['run', 'state', 'home']) mkdirSync(join(dir, d));
  chownSync(join(dir, 'home'), NOBODY, NOGROUP);
  writeFileSync(join(dir, 'users'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''), { mode: 0o644 }); // test passwords only
  const port = await freePort();
  const log = join(dir, 'dovecot.log');
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
${opts.noIdle ? 'imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT UNSELECT CHILDREN NAMESPACE UIDPLUS ESEARCH MOVE\n' : ''}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${NOBODY} gid=${NOGROUP} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
`,
  );
  const proc = spawn('/usr/sbin/dovecot', ['-F', '-c', conf], { stdio: 'ignore' });
  try {
    await waitForGreeting(port, 15_000, proc, log);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    host: '127.0.0.1',
    port,
    dir,
    async client(user, pass) {
      const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false, disableAutoIdle: true });
      c.on('error', () => {});
      await c.connect();
      return c;
    },
    async kick(user) {
      await new Promise<void>((ok, fail) => {
        const k = spawn('/usr/bin/doveadm', ['-c', conf, 'kick', user], { stdio: 'ignore' });
        k.once('error', fail);
        k.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`doveadm kick ${user} exited ${code}`))));
      });
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plain RFC 5322 message (CRLF line ends); `messageId: null` leaves the header out. */
export function rfc822(m: { from: string; to: string; subject: string; text: string; messageId?: string | null; inReplyTo?: string; attachment?: { name: string; type: string; content: Buffer } }): Buffer {
  const head = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    'Date: Mon, 02 Mar 2026 09:00:00 +0000',
    ...(m.messageId === null ? [] : [`Message-ID: ${m.messageId ?? `<${Math.random().toString(36).slice(2)}@test.example>`}`]),
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    'MIME-Version: 1.0',
  ];
  if (!m.attachment) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', m.text, ''].join('\r\n'));
  const b = 'flowdesk-boundary-1';
  return Buffer.from(
    [
      ...head,
      `Content-Type: multipart/mixed; boundary="${b}"`,
      '',
      `--${b}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      m.text,
      `--${b}`,
      `Content-Type: ${m.attachment.type}; name="${m.attachment.name}"`,
      `Content-Disposition: attachment; filename="${m.attachment.name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      m.attachment.content.toString('base64'),
      `--${b}--`,
      '',
    ].join('\r\n'),
  );
}
