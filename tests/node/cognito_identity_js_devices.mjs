// amazon-cognito-identity-js remembered devices against a userpool sandbox: ConfirmDevice after sign-in,
// setDeviceStatusRemembered, getDevice, listDevices, a sign-in through DEVICE_SRP_AUTH, refresh with
// DEVICE_KEY, forgetDevice, and the library's retry with DEVICE_KEY: null after "Device does not exist.".
//
//   USERPOOL_ENDPOINT=http://127.0.0.1:PORT USERPOOL_POOL_ID=... USERPOOL_CLIENT_ID=... node tests/node/cognito_identity_js_devices.mjs
//
// The library keeps the device in its in-memory storage under the user name the server answered with
// (USER_ID_FOR_SRP, the sub in an email pool), which every CognitoUser of this process shares.
import cognito from 'amazon-cognito-identity-js';

import {
	assert,
	assertCalls,
	calls,
	callsSince,
	cognito as cognitoCall,
	newPassword,
	recordFetch,
	sandboxEnv,
	step,
	uniqueEmail,
	waitForCode,
} from './support.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool } = cognito;

const { endpoint, poolId, clientId } = sandboxEnv();
recordFetch();

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: `${endpoint}/` });
const email = uniqueEmail('acij-dev');
const password = newPassword();
console.log(`# amazon-cognito-identity-js devices against ${endpoint} pool ${poolId} as ${email}`);

const SRP = ['InitiateAuth(USER_SRP_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)'];
const DEVICE_SRP = ['RespondToAuthChallenge(DEVICE_SRP_AUTH)', 'RespondToAuthChallenge(DEVICE_PASSWORD_VERIFIER)'];

const callbacks = (resolve, reject) => ({ onSuccess: resolve, onFailure: reject });

/** authenticateUser → {session, userConfirmationNecessary} (the library passes the second after ConfirmDevice). */
const authenticate = (user) =>
	new Promise((resolve, reject) => {
		const unexpected = (what) => (...args) => reject(new Error(`unexpected ${what}: ${JSON.stringify(args)}`));
		user.authenticateUser(new AuthenticationDetails({ Username: email, Password: password }), {
			onSuccess: (session, userConfirmationNecessary) => resolve({ session, userConfirmationNecessary }),
			onFailure: reject,
			newPasswordRequired: unexpected('newPasswordRequired'),
			mfaRequired: unexpected('mfaRequired'),
			totpRequired: unexpected('totpRequired'),
			customChallenge: unexpected('customChallenge'),
			mfaSetup: unexpected('mfaSetup'),
			selectMFAType: unexpected('selectMFAType'),
		});
	});

const onUser = (user, method, ...args) =>
	new Promise((resolve, reject) => user[method](...args, callbacks(resolve, reject)));

const newUser = () => new CognitoUser({ Username: email, Pool: pool });

const issuedDevice = (mark) =>
	callsSince(mark).map((c) => c.response?.AuthenticationResult?.NewDeviceMetadata).filter(Boolean).pop();

let user;
let session;
let deviceKey;

await step('signUp and confirmRegistration', async () => {
	const attributes = [new CognitoUserAttribute({ Name: 'email', Value: email })];
	const result = await new Promise((resolve, reject) =>
		pool.signUp(email, password, attributes, null, (err, r) => (err ? reject(err) : resolve(r))));
	const { code } = await waitForCode(endpoint, email, { purpose: 'sign_up' });
	await new Promise((resolve, reject) =>
		result.user.confirmRegistration(code, true, (err, r) => (err ? reject(err) : resolve(r))));
});

await step('authenticateUser → NewDeviceMetadata → ConfirmDevice; onSuccess says the user must confirm', async () => {
	user = newUser();
	const mark = calls.length;
	const result = await authenticate(user);
	const seen = assertCalls(mark, [...SRP, 'ConfirmDevice']);
	assert.equal(result.userConfirmationNecessary, true);
	deviceKey = issuedDevice(mark)?.DeviceKey;
	assert.equal(seen[2].request.DeviceKey, deviceKey);
	assert.ok(seen[2].request.DeviceName, 'the library names the device after its user agent');
	session = result.session;
	assert.equal(session.getAccessToken().payload.device_key, deviceKey);
});

await step('getDevice → the device, not remembered yet', async () => {
	const mark = calls.length;
	const { Device } = await onUser(user, 'getDevice');
	assertCalls(mark, ['GetDevice']);
	assert.equal(Device.DeviceKey, deviceKey);
	const attributes = Object.fromEntries(Device.DeviceAttributes.map((a) => [a.Name, a.Value]));
	assert.equal(attributes.device_remembered_status, 'not_remembered');
	assert.equal(typeof Device.DeviceCreateDate, 'number');
});

await step('setDeviceStatusRemembered (UpdateDeviceStatus) → listDevices shows it remembered', async () => {
	let mark = calls.length;
	assert.equal(await onUser(user, 'setDeviceStatusRemembered'), 'SUCCESS');
	assertCalls(mark, ['UpdateDeviceStatus']);
	mark = calls.length;
	const listed = await onUser(user, 'listDevices', 10, null);
	assertCalls(mark, ['ListDevices']);
	assert.deepEqual(listed.Devices.map((d) => d.DeviceKey), [deviceKey]);
	assert.ok(listed.Devices[0].DeviceAttributes.some((a) => a.Name === 'device_remembered_status' && a.Value === 'remembered'));
	assert.equal(listed.PaginationToken, undefined);
});

await step('a new CognitoUser signs in through DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER', async () => {
	user = newUser();
	const mark = calls.length;
	const result = await authenticate(user);
	const seen = assertCalls(mark, [...SRP, ...DEVICE_SRP]);
	assert.equal(seen[1].request.ChallengeResponses.DEVICE_KEY, deviceKey);
	assert.equal(seen[2].request.ChallengeResponses.DEVICE_KEY, deviceKey);
	assert.ok(seen[2].request.Session, 'the library sends the DEVICE_SRP_AUTH Session');
	assert.equal(result.userConfirmationNecessary, undefined);
	session = result.session;
	assert.equal(session.getAccessToken().payload.device_key, deviceKey);
});

await step('refreshSession sends DEVICE_KEY; the refreshed tokens keep device_key', async () => {
	const mark = calls.length;
	session = await new Promise((resolve, reject) =>
		user.refreshSession(session.getRefreshToken(), (err, s) => (err ? reject(err) : resolve(s))));
	const [refresh] = assertCalls(mark, ['InitiateAuth(REFRESH_TOKEN_AUTH)']);
	assert.equal(refresh.request.AuthParameters.DEVICE_KEY, deviceKey);
	assert.equal(session.getAccessToken().payload.device_key, deviceKey);
});

await step('forgetDevice (ForgetDevice) → listDevices is empty', async () => {
	const mark = calls.length;
	assert.equal(await onUser(user, 'forgetDevice'), 'SUCCESS');
	const [forget] = assertCalls(mark, ['ForgetDevice']);
	assert.equal(forget.request.DeviceKey, deviceKey);
	assert.deepEqual((await onUser(user, 'listDevices', 10, null)).Devices, []);
});

await step('authenticateUser after forgetDevice → no device challenge, a new device confirmed', async () => {
	user = newUser();
	const mark = calls.length;
	const result = await authenticate(user);
	assertCalls(mark, [...SRP, 'ConfirmDevice']);
	const fresh = issuedDevice(mark)?.DeviceKey;
	assert.ok(fresh && fresh !== deviceKey, `new device ${fresh}`);
	deviceKey = fresh;
	session = result.session;
});

await step('a device forgotten behind the library\'s back → it answers again with DEVICE_KEY: null', async () => {
	const forgotten = await cognitoCall(endpoint, 'ForgetDevice', {
		AccessToken: session.getAccessToken().getJwtToken(),
		DeviceKey: deviceKey,
	});
	assert.equal(forgotten.status, 200, JSON.stringify(forgotten.body));
	user = newUser();
	const mark = calls.length;
	await authenticate(user);
	const seen = callsSince(mark);
	assert.deepEqual(seen.map((c) => `${c.target}(${c.flow ?? c.challenge ?? ''})=${c.status}`), [
		'InitiateAuth(USER_SRP_AUTH)=200',
		'RespondToAuthChallenge(PASSWORD_VERIFIER)=400',
		'RespondToAuthChallenge(PASSWORD_VERIFIER)=200',
		'ConfirmDevice()=200',
	]);
	assert.equal(seen[1].response.__type, 'ResourceNotFoundException');
	assert.equal(seen[1].response.message, 'Device does not exist.');
	assert.equal(seen[2].request.ChallengeResponses.DEVICE_KEY, null); // null on the wire, not left out
	assert.notEqual(issuedDevice(mark)?.DeviceKey, deviceKey);
});

console.log(`# done: ${calls.length} Cognito calls`);
process.exit(0);
