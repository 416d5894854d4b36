// Shared helpers for the Node client journeys (amplify.mjs, cognito_identity_js.mjs).
//
// Each journey prints one line per step and exits non-zero on the first failure, printing the error's
// name and message and the last Cognito calls seen on the wire (so a server bug shows its exact exchange).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

// Calls the journeys make themselves go around the recorder, so `calls` holds only what the client did.
const nativeFetch = globalThis.fetch;

export { assert };

/** USERPOOL_ENDPOINT / USERPOOL_POOL_ID / USERPOOL_CLIENT_ID, failing loudly if one is missing. */
export function sandboxEnv() {
	const missing = ['USERPOOL_ENDPOINT', 'USERPOOL_POOL_ID', 'USERPOOL_CLIENT_ID'].filter(
		(name) => !process.env[name],
	);
	if (missing.length) {
		console.error(`missing environment: ${missing.join(', ')} (run through tests/clients/test_node_clients.py)`);
		process.exit(2);
	}
	return {
		endpoint: process.env.USERPOOL_ENDPOINT.replace(/\/+$/, ''),
		poolId: process.env.USERPOOL_POOL_ID,
		clientId: process.env.USERPOOL_CLIENT_ID,
	};
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}@example.com`;

/** A password that meets Cognito's default policy (8+, upper, lower, number, symbol), unique per call. */
export const newPassword = () => `Pw-${randomBytes(4).toString('hex')}-Aa1!`;

// ---------------------------------------------------------------------------------------------- wire log

// Set USERPOOL_TRACE=1 to print every Cognito request and response as it happens.

/** Every Cognito request made through globalThis.fetch: {target, flow, challenge, status, error, request}. */
export const calls = [];

/**
 * Wrap globalThis.fetch (looked up at call time by both Amplify and amazon-cognito-identity-js) to record
 * the x-amz-target of every request, the AuthFlow / ChallengeName it carried, and the response status and
 * error type; both bodies are kept for assertions and the failure report.
 */
export function recordFetch() {
	const realFetch = globalThis.fetch;
	globalThis.fetch = async (input, init = {}) => {
		const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
		const target = headers.get('x-amz-target') ?? '';
		let request = {};
		try {
			request = typeof init.body === 'string' ? JSON.parse(init.body) : {};
		} catch {
			// not JSON: not a Cognito call
		}
		const entry = {
			target: target.replace(/^AWSCognitoIdentityProviderService\./, ''),
			flow: request.AuthFlow,
			challenge: request.ChallengeName,
			request,
			status: undefined,
			error: undefined,
			response: undefined,
		};
		calls.push(entry);
		const response = await realFetch(input, init);
		entry.status = response.status;
		try {
			entry.response = await response.clone().json();
		} catch {
			entry.response = undefined;
		}
		if (response.status >= 300) {
			entry.error = response.headers.get('x-amzn-errortype') ?? entry.response?.__type;
		}
		if (process.env.USERPOOL_TRACE) {
			console.log(`    > ${entry.target} ${JSON.stringify(redact(request))}`);
			console.log(`    < ${response.status} ${JSON.stringify(redact(entry.response))}`);
		}
		return response;
	};
}

/** The calls recorded since `mark` (an index into `calls`, e.g. taken with `calls.length`). */
export const callsSince = (mark) => calls.slice(mark);

/** "InitiateAuth(USER_SRP_AUTH)=200, RespondToAuthChallenge(PASSWORD_VERIFIER)=200" */
export const describeCalls = (list) =>
	list
		.map((c) => `${c.target}${c.flow || c.challenge ? `(${c.flow ?? c.challenge})` : ''}=${c.status}${c.error ? ` ${c.error}` : ''}`)
		.join(', ');

/** Assert that the calls since `mark` are exactly `expected` (["InitiateAuth(USER_SRP_AUTH)", ...]), all 2xx. */
export function assertCalls(mark, expected) {
	const seen = callsSince(mark);
	const names = seen.map((c) => `${c.target}${c.flow || c.challenge ? `(${c.flow ?? c.challenge})` : ''}`);
	assert.deepEqual(names, expected, `Cognito calls were: ${describeCalls(seen)}`);
	for (const c of seen) assert.ok(c.status >= 200 && c.status < 300, `${c.target} answered ${c.status} ${c.error ?? ''}`);
	return seen;
}

// ---------------------------------------------------------------------------------------------- steps

let stepNumber = 0;

// A rejection no step awaited (e.g. inside a library callback) fails the script the same way.
process.on('unhandledRejection', (error) => {
	console.log(`FAIL unhandled rejection after step ${stepNumber}`);
	console.log(`  ${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`);
	process.exit(1);
});

/** Run one step; print `ok N name` or fail the whole script with the error name and message. */
export async function step(name, fn) {
	stepNumber += 1;
	const mark = calls.length;
	try {
		const result = await fn();
		console.log(`ok ${stepNumber} ${name}`);
		return result;
	} catch (error) {
		console.log(`FAIL ${stepNumber} ${name}`);
		console.log(`  ${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`);
		const recent = callsSince(mark);
		if (recent.length) {
			console.log('  Cognito calls in this step:');
			for (const c of recent) {
				console.log(`    ${c.target} ${JSON.stringify(redact(c.request))}`);
				console.log(`      -> ${c.status} ${JSON.stringify(c.response)}`);
			}
		}
		if (error?.stack) console.log(error.stack.split('\n').slice(1, 6).join('\n'));
		process.exit(1);
	}
}

// Keep the failure report readable: long tokens shortened, nothing else hidden (these are throwaway users).
const redact = (value) =>
	JSON.parse(JSON.stringify(value ?? {}, (_k, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length})` : v)));

/** Await `promise` and assert it rejects with an error whose name (or code) is `name`; returns the error. */
export async function expectError(promise, name) {
	let error;
	try {
		await promise;
	} catch (e) {
		error = e;
	}
	assert.ok(error, `expected ${name}, but the call succeeded`);
	const got = error.name === 'Error' && error.code ? error.code : error.name;
	assert.equal(got, name, `expected ${name}, got ${error.name}/${error.code}: ${error.message}`);
	return error;
}

// ---------------------------------------------------------------------------------------------- sandbox

/** All messages in the sandbox outbox, oldest first. */
export async function outbox(endpoint) {
	const response = await nativeFetch(`${endpoint}/_sandbox/messages`);
	assert.equal(response.status, 200, `GET /_sandbox/messages answered ${response.status}`);
	return response.json();
}

/** The id of the newest message to `to` (0 if none): pass it as `after` to wait for the next one. */
export async function lastMessageId(endpoint, to) {
	const mine = (await outbox(endpoint)).filter((m) => m.to.toLowerCase() === to.toLowerCase());
	return mine.length ? mine[mine.length - 1].id : 0;
}

/**
 * Wait (briefly: delivery follows the commit) for a message to `to` newer than `after`, carrying a code
 * and, if given, for `purpose`. Returns the message.
 */
export async function waitForCode(endpoint, to, { after = 0, purpose, timeoutMs = 5000 } = {}) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = (await outbox(endpoint)).filter(
			(m) => m.to.toLowerCase() === to.toLowerCase() && m.id > after && m.code && (!purpose || m.purpose === purpose),
		);
		if (found.length) return found[found.length - 1];
		if (Date.now() > deadline) {
			throw new Error(`no message with a code to ${to} after id ${after}${purpose ? ` for ${purpose}` : ''}`);
		}
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** POST one Cognito action directly (not through a client): {status, errorType, body}. */
export async function cognito(endpoint, action, body) {
	const response = await nativeFetch(`${endpoint}/`, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-amz-json-1.1',
			'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
		},
		body: JSON.stringify(body),
	});
	const text = await response.text();
	let json;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = text;
	}
	return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: json };
}

/** Assert a direct GetUser with `accessToken` is refused: 400 NotAuthorizedException (body and header). */
export async function assertAccessTokenRefused(endpoint, accessToken) {
	const r = await cognito(endpoint, 'GetUser', { AccessToken: accessToken });
	assert.equal(r.status, 400, `GetUser with the old access token answered ${r.status} ${JSON.stringify(r.body)}`);
	assert.equal(r.body?.__type, 'NotAuthorizedException', `GetUser body: ${JSON.stringify(r.body)}`);
	assert.match(r.errorType ?? '', /^NotAuthorizedException/, `x-amzn-errortype header: ${r.errorType}`);
	return r;
}

/** The payload of a JWT (no verification). */
export function jwtPayload(token) {
	const part = token.split('.')[1];
	return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}
