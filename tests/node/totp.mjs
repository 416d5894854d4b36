// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps) over node:crypto: what an authenticator app computes.
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(secret) {
	let bits = '';
	for (const c of secret.replace(/=+$/, '').toUpperCase()) {
		const value = ALPHABET.indexOf(c);
		if (value < 0) throw new Error(`not base32: ${c}`);
		bits += value.toString(2).padStart(5, '0');
	}
	const bytes = [];
	for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(bytes);
}

/** RFC 4226 HOTP: HMAC-SHA1 over the 8-byte counter, dynamic truncation, 6 digits. */
export function hotp(secret, counter) {
	const message = Buffer.alloc(8);
	message.writeBigUInt64BE(BigInt(counter));
	const mac = createHmac('sha1', base32Decode(secret)).update(message).digest();
	const offset = mac[mac.length - 1] & 0x0f;
	const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
	return String(value).padStart(6, '0');
}

/**
 * The code for the current 30-second step plus `offset` steps. The server accepts one step either side, so
 * -1, 0 and +1 give three codes usable now, each once. Waits out the last 3 seconds of a step, so the code
 * is still in the server's window when it arrives.
 */
export async function totp(secret, offset = 0) {
	const intoStep = (Date.now() / 1000) % 30;
	if (intoStep > 27) await new Promise((r) => setTimeout(r, (30 - intoStep + 0.5) * 1000));
	return hotp(secret, Math.floor(Date.now() / 1000 / 30) + offset);
}

/** A six-digit code that is not `code` (for the failure cases). */
export const wrongCode = (code) => (code === '000000' ? '111111' : '000000');
