// aws-amplify v6 remembered devices against a userpool sandbox: ConfirmDevice after sign-in, rememberDevice,
// fetchDevices, a sign-in through DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER, forgetDevice, and Amplify's
// "Device does not exist." retry.
//
//   USERPOOL_ENDPOINT=http://127.0.0.1:PORT USERPOOL_POOL_ID=... USERPOOL_CLIENT_ID=... node tests/node/amplify_devices.mjs
//
// Amplify names a new device after navigator.userAgent. Node 20 has no `navigator`, and Amplify then skips
// ConfirmDevice without a word (getNewDeviceMetadata swallows the ReferenceError), so the device would never
// be remembered: give it the one property it reads, as a browser would.
import { Amplify } from 'aws-amplify';
import {
	confirmSignUp,
	fetchAuthSession,
	fetchDevices,
	fetchUserAttributes,
	forgetDevice,
	rememberDevice,
	signIn,
	signOut,
	signUp,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import {
	assert,
	assertCalls,
	calls,
	callsSince,
	cognito,
	describeCalls,
	expectError,
	jwtPayload,
	newPassword,
	recordFetch,
	sandboxEnv,
	step,
	uniqueEmail,
	waitForCode,
} from './support.mjs';

const DEVICE_NAME = 'userpool-tests (Node.js)';
if (typeof globalThis.navigator === 'undefined') globalThis.navigator = { userAgent: DEVICE_NAME };
const deviceName = globalThis.navigator.userAgent;

const { endpoint, poolId, clientId } = sandboxEnv();
recordFetch();

Amplify.configure({
	Auth: {
		Cognito: {
			userPoolId: poolId,
			userPoolClientId: clientId,
			userPoolEndpoint: endpoint,
			loginWith: { email: true },
		},
	},
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);

const email = uniqueEmail('amplify-dev');
const password = newPassword();
console.log(`# aws-amplify devices against ${endpoint} pool ${poolId} as ${email}`);

const SRP = ['InitiateAuth(USER_SRP_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)'];
const DEVICE_SRP = ['RespondToAuthChallenge(DEVICE_SRP_AUTH)', 'RespondToAuthChallenge(DEVICE_PASSWORD_VERIFIER)'];

const accessPayload = async () => (await fetchAuthSession()).tokens.accessToken.payload;

/** Sign in and return the calls it made, checking the sign-in is DONE. */
const signInCalls = async (options) => {
	const mark = calls.length;
	const result = await signIn({ username: email, password, options });
	assert.equal(result.isSignedIn, true, `nextStep: ${JSON.stringify(result.nextStep)}`);
	return mark;
};

/** The device a sign-in's ConfirmDevice registered: the key the server issued, checked against the access token. */
const confirmedDevice = async (mark) => {
	const confirm = callsSince(mark).find((c) => c.target === 'ConfirmDevice');
	assert.ok(confirm, `no ConfirmDevice: ${describeCalls(callsSince(mark))}`);
	const issued = callsSince(mark).map((c) => c.response?.AuthenticationResult?.NewDeviceMetadata).filter(Boolean).pop();
	assert.equal(confirm.request.DeviceKey, issued?.DeviceKey);
	assert.equal(confirm.request.DeviceName, deviceName);
	assert.deepEqual(confirm.response, { UserConfirmationNecessary: true });
	assert.equal((await accessPayload()).device_key, issued.DeviceKey, 'the access token does not name the new device');
	return issued.DeviceKey;
};

let deviceKey;

await step('signUp and confirmSignUp', async () => {
	await signUp({ username: email, password, options: { userAttributes: { email } } });
	const { code } = await waitForCode(endpoint, email, { purpose: 'sign_up' });
	assert.equal((await confirmSignUp({ username: email, confirmationCode: code })).isSignUpComplete, true);
});

await step('signIn → NewDeviceMetadata → Amplify confirms the device (ConfirmDevice, UserConfirmationNecessary)', async () => {
	const mark = await signInCalls();
	assertCalls(mark, [...SRP, 'ConfirmDevice']);
	deviceKey = await confirmedDevice(mark);
	const verifier = callsSince(mark)[2].request.DeviceSecretVerifierConfig;
	assert.ok(verifier?.Salt && verifier?.PasswordVerifier, 'ConfirmDevice sent no verifier');
});

await step('fetchDevices → the device, not yet remembered, with its name and dates', async () => {
	const devices = await fetchDevices();
	assert.equal(devices.length, 1, JSON.stringify(devices));
	const [device] = devices;
	assert.equal(device.id, deviceKey);
	assert.equal(device.name, deviceName);
	assert.equal(device.attributes.device_status, 'valid');
	assert.equal(device.attributes.device_remembered_status, 'not_remembered');
	assert.ok(device.createDate instanceof Date && device.lastAuthenticatedDate instanceof Date);
	assert.ok(Math.abs(device.createDate.getTime() - Date.now()) < 60_000, `createDate ${device.createDate}`);
});

await step('rememberDevice (UpdateDeviceStatus) → fetchDevices shows it remembered', async () => {
	const mark = calls.length;
	await rememberDevice();
	const [update] = assertCalls(mark, ['UpdateDeviceStatus']);
	assert.equal(update.request.DeviceKey, deviceKey);
	assert.equal(update.request.DeviceRememberedStatus, 'remembered');
	const [device] = await fetchDevices();
	assert.equal(device.attributes.device_remembered_status, 'remembered');
	assert.equal(device.name, deviceName);
});

await step('fetchAuthSession({forceRefresh}) sends the DeviceKey; the tokens keep device_key', async () => {
	const mark = calls.length;
	await fetchAuthSession({ forceRefresh: true });
	const [refresh] = assertCalls(mark, ['GetTokensFromRefreshToken']);
	assert.equal(refresh.request.DeviceKey, deviceKey);
	assert.equal((await accessPayload()).device_key, deviceKey);
});

await step('signOut, signIn again → PASSWORD_VERIFIER with DEVICE_KEY, then DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER', async () => {
	await signOut();
	const mark = await signInCalls();
	const seen = assertCalls(mark, [...SRP, ...DEVICE_SRP]);
	assert.equal(seen[1].request.ChallengeResponses.DEVICE_KEY, deviceKey);
	assert.equal(seen[1].response.ChallengeName, 'DEVICE_SRP_AUTH');
	assert.ok(seen[1].response.Session, 'DEVICE_SRP_AUTH came without a Session');
	assert.equal(seen[2].request.ChallengeResponses.DEVICE_KEY, deviceKey);
	assert.equal(seen[2].response.ChallengeName, 'DEVICE_PASSWORD_VERIFIER');
	assert.deepEqual(Object.keys(seen[2].response.ChallengeParameters).sort(), ['SALT', 'SECRET_BLOCK', 'SRP_B', 'USERNAME']);
	assert.equal(seen[3].response.AuthenticationResult.NewDeviceMetadata, undefined);
	assert.equal((await accessPayload()).device_key, deviceKey);
	const [device] = await fetchDevices();
	assert.ok(device.lastAuthenticatedDate >= device.createDate);
});

await step('forgetDevice (ForgetDevice) → no devices; the session goes on', async () => {
	const mark = calls.length;
	await forgetDevice();
	const [forget] = assertCalls(mark, ['ForgetDevice']);
	assert.equal(forget.request.DeviceKey, deviceKey);
	assert.deepEqual(await fetchDevices(), []);
	assert.equal((await fetchUserAttributes()).email, email);
});

await step('signOut, signIn → no device challenge, and Amplify registers a new device', async () => {
	await signOut();
	const mark = await signInCalls();
	const seen = assertCalls(mark, [...SRP, 'ConfirmDevice']);
	assert.equal(seen[1].request.ChallengeResponses.DEVICE_KEY, undefined);
	const newKey = await confirmedDevice(mark);
	assert.notEqual(newKey, deviceKey);
	deviceKey = newKey;
	assert.deepEqual((await fetchDevices()).map((d) => d.id), [deviceKey]);
});

await step('a device forgotten behind Amplify\'s back → "Device does not exist." → Amplify forgets it and answers again', async () => {
	const { tokens } = await fetchAuthSession();
	const forgotten = await cognito(endpoint, 'ForgetDevice', { AccessToken: tokens.accessToken.toString(), DeviceKey: deviceKey });
	assert.equal(forgotten.status, 200, JSON.stringify(forgotten.body));
	await signOut();
	const mark = await signInCalls();
	const seen = callsSince(mark);
	const names = seen.map((c) => `${c.target}(${c.flow ?? c.challenge ?? ''})=${c.status}${c.error ? ` ${c.error}` : ''}`);
	assert.deepEqual(names, [
		'InitiateAuth(USER_SRP_AUTH)=200',
		'RespondToAuthChallenge(PASSWORD_VERIFIER)=400 ResourceNotFoundException:',
		'RespondToAuthChallenge(PASSWORD_VERIFIER)=200',
		'ConfirmDevice()=200',
	]);
	assert.equal(seen[1].response.message, 'Device does not exist.');
	assert.equal(seen[1].request.ChallengeResponses.DEVICE_KEY, deviceKey);
	assert.equal(seen[2].request.ChallengeResponses.DEVICE_KEY, undefined);
	assert.equal(seen[2].request.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK, seen[1].request.ChallengeResponses.PASSWORD_CLAIM_SECRET_BLOCK);
	deviceKey = await confirmedDevice(mark);
	await signOut();
});

await step('USER_PASSWORD_AUTH: ConfirmDevice, then the next sign-in sends DEVICE_KEY and passes the device challenge', async () => {
	let mark = await signInCalls({ authFlowType: 'USER_PASSWORD_AUTH' });
	assertCalls(mark, ['InitiateAuth(USER_PASSWORD_AUTH)', 'ConfirmDevice']);
	const passwordDevice = await confirmedDevice(mark);
	await signOut();
	mark = await signInCalls({ authFlowType: 'USER_PASSWORD_AUTH' });
	const seen = assertCalls(mark, ['InitiateAuth(USER_PASSWORD_AUTH)', ...DEVICE_SRP]);
	assert.equal(seen[0].request.AuthParameters.DEVICE_KEY, passwordDevice);
	assert.deepEqual(seen[0].response.ChallengeParameters, {}); // Amplify keeps the name it signed in with
	assert.equal(jwtPayload((await fetchAuthSession()).tokens.accessToken.toString()).device_key, passwordDevice);
	assert.deepEqual((await fetchDevices()).map((d) => d.id).sort(), [deviceKey, passwordDevice].sort());
	await signOut();
});

await step('signed out: fetchDevices, forgetDevice and rememberDevice → UserUnAuthenticatedException, no Cognito call', async () => {
	const mark = calls.length;
	await expectError(fetchDevices(), 'UserUnAuthenticatedException');
	await expectError(forgetDevice({ device: { id: deviceKey } }), 'UserUnAuthenticatedException');
	await expectError(rememberDevice(), 'UserUnAuthenticatedException');
	assert.equal(callsSince(mark).length, 0, `calls: ${describeCalls(callsSince(mark))}`);
});

await step('forgetDevice of a device key the user never had → ResourceNotFoundException; the devices stay', async () => {
	await signInCalls();
	const before = (await fetchDevices()).map((d) => d.id).sort();
	const unknown = `${poolId.split('_')[0]}_00000000-0000-4000-8000-000000000000`;
	const mark = calls.length;
	const error = await expectError(forgetDevice({ device: { id: unknown } }), 'ResourceNotFoundException');
	assert.equal(error.message, 'Device does not exist.');
	assert.equal(describeCalls(callsSince(mark)), 'ForgetDevice=400 ResourceNotFoundException:');
	assert.equal(callsSince(mark)[0].request.DeviceKey, unknown);
	assert.deepEqual((await fetchDevices()).map((d) => d.id).sort(), before);
	await signOut();
});

console.log(`# done: ${calls.length} Cognito calls`);
process.exit(0);
