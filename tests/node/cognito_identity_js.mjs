// amazon-cognito-identity-js in Node against a userpool sandbox, through the pool's `endpoint` option.
//
//   USERPOOL_ENDPOINT=http://127.0.0.1:PORT USERPOOL_POOL_ID=... USERPOOL_CLIENT_ID=... node tests/node/cognito_identity_js.mjs
//
// Node 20 needs no shim: the library calls the global `fetch` (its isomorphic-unfetch import keeps Node's
// own), draws random numbers from `global.crypto.getRandomValues` (Node's Web Crypto), reads `navigator`
// only when it exists (user agent "nodejs" otherwise), and keeps tokens in its in-memory storage when
// there is no window.localStorage.
import cognito from 'amazon-cognito-identity-js';

import {
	assert,
	assertAccessTokenRefused,
	assertCalls,
	calls,
	callsSince,
	cognito as cognitoCall,
	expectError,
	lastMessageId,
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
const email = uniqueEmail('acij');
let password = newPassword();
console.log(`# amazon-cognito-identity-js against ${endpoint} pool ${poolId} as ${email}`);

const SRP_SIGN_IN = ['InitiateAuth(USER_SRP_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)'];

/**
 * Assert a sign-in made exactly `flowCalls`, plus the ConfirmDevice the library sends by itself when the
 * result carries NewDeviceMetadata (device tracking is on by default).
 */
const assertSignInCalls = (mark, flowCalls) => {
	const seen = callsSince(mark);
	const confirmed = seen.length === flowCalls.length + 1 && seen.at(-1).target === 'ConfirmDevice';
	return assertCalls(mark, confirmed ? [...flowCalls, 'ConfirmDevice'] : flowCalls);
};

// ------------------------------------------------------------------------- the library's callbacks as promises

const nodeback = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

const signUp = (username, pw, attributes) =>
	new Promise((resolve, reject) => pool.signUp(username, pw, attributes, null, nodeback(resolve, reject)));

const authenticate = (user, pw) =>
	new Promise((resolve, reject) => {
		const unexpected = (what) => (...args) => reject(new Error(`unexpected ${what}: ${JSON.stringify(args)}`));
		user.authenticateUser(new AuthenticationDetails({ Username: email, Password: pw }), {
			onSuccess: resolve,
			onFailure: reject,
			newPasswordRequired: unexpected('newPasswordRequired'),
			mfaRequired: unexpected('mfaRequired'),
			totpRequired: unexpected('totpRequired'),
			customChallenge: unexpected('customChallenge'),
			mfaSetup: unexpected('mfaSetup'),
			selectMFAType: unexpected('selectMFAType'),
		});
	});

const call = (user, method, ...args) =>
	new Promise((resolve, reject) => user[method](...args, nodeback(resolve, reject)));

const attributesOf = async (user) =>
	Object.fromEntries((await call(user, 'getUserAttributes')).map((a) => [a.getName(), a.getValue()]));

const newUser = () => new CognitoUser({ Username: email, Pool: pool });

/** getAttributeVerificationCode / verifyAttribute take a callback map, not a node callback. */
const sendAttributeCode = (u, name) =>
	new Promise((resolve, reject) =>
		u.getAttributeVerificationCode(name, { onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve }));

const verifyAttribute = (u, name, value) =>
	new Promise((resolve, reject) => u.verifyAttribute(name, value, { onSuccess: resolve, onFailure: reject }));

const wrongCode = (right) => (right === '000000' ? '111111' : '000000');

// ------------------------------------------------------------------------- the journey

let user;
let userSub;
let code;
let session;

await step('signUp → unconfirmed, a UUID sub, a masked email destination', async () => {
	const result = await signUp(email, password, [new CognitoUserAttribute({ Name: 'email', Value: email })]);
	assert.equal(result.userConfirmed, false);
	assert.match(result.userSub ?? '', /^[0-9a-f-]{36}$/, `userSub is not a UUID: ${result.userSub}`);
	const details = result.codeDeliveryDetails;
	assert.equal(details?.DeliveryMedium, 'EMAIL');
	assert.equal(details?.AttributeName, 'email');
	assert.ok(details?.Destination && details.Destination !== email && details.Destination.includes('*'),
		`destination not masked: ${details?.Destination}`);
	user = result.user;
	userSub = result.userSub;
	code = (await waitForCode(endpoint, email, { purpose: 'sign_up' })).code;
});

await step('signUp again with the same email → UsernameExistsException', async () => {
	await expectError(signUp(email, password, [new CognitoUserAttribute({ Name: 'email', Value: email })]),
		'UsernameExistsException');
});

await step('confirmRegistration with a wrong code → CodeMismatchException', async () => {
	const wrong = code === '000000' ? '111111' : '000000';
	await expectError(call(user, 'confirmRegistration', wrong, true), 'CodeMismatchException');
});

await step('authenticateUser (SRP) before confirming → UserNotConfirmedException', async () => {
	const mark = calls.length;
	await expectError(authenticate(user, password), 'UserNotConfirmedException');
	const seen = callsSince(mark).map((c) => `${c.target}=${c.status}`);
	assert.equal(seen[0], 'InitiateAuth=200', `calls: ${seen}`);
});

await step('resendConfirmationCode → a new code in the outbox', async () => {
	const before = await lastMessageId(endpoint, email);
	const result = await call(user, 'resendConfirmationCode');
	assert.equal(result.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
	code = (await waitForCode(endpoint, email, { after: before, purpose: 'sign_up' })).code;
});

await step('confirmRegistration with the code → SUCCESS', async () => {
	// the same CognitoUser: after the SRP attempt above its username is USER_ID_FOR_SRP (the sub), as in an app
	assert.equal(await call(user, 'confirmRegistration', code, true), 'SUCCESS');
});

await step('resendConfirmationCode when confirmed → InvalidParameterException', async () => {
	const error = await expectError(call(newUser(), 'resendConfirmationCode'), 'InvalidParameterException');
	assert.equal(error.message, 'User is already confirmed.');
});

await step('authenticateUser with a wrong password → NotAuthorizedException', async () => {
	await expectError(authenticate(newUser(), `${password}x`), 'NotAuthorizedException');
});

await step('authenticateUser (USER_SRP_AUTH + PASSWORD_VERIFIER) → a valid session', async () => {
	user = newUser();
	const mark = calls.length;
	session = await authenticate(user, password);
	assertSignInCalls(mark, SRP_SIGN_IN);
	assert.ok(session.isValid(), 'session not valid');
	const id = session.getIdToken().payload;
	assert.equal(id['cognito:username'], user.getUsername());
	assert.equal(id.sub, userSub);
	assert.equal(id.email, email);
	assert.equal(id.aud, clientId);
	assert.equal(id.token_use, 'id');
	const access = session.getAccessToken().payload;
	assert.equal(access.token_use, 'access');
	assert.equal(access.client_id, clientId);
	assert.equal(access.username, id['cognito:username']);
	assert.ok(session.getRefreshToken().getToken(), 'no refresh token');
});

await step('getUserAttributes → email, email_verified "true"', async () => {
	const attributes = await attributesOf(user);
	assert.equal(attributes.email, email);
	assert.equal(attributes.email_verified, 'true');
	assert.equal(attributes.sub, userSub);
});

await step('updateAttributes({given_name, family_name}) → shown by getUserAttributes', async () => {
	const result = await call(user, 'updateAttributes', [
		new CognitoUserAttribute({ Name: 'given_name', Value: 'Grace' }),
		new CognitoUserAttribute({ Name: 'family_name', Value: 'Hopper' }),
	]);
	assert.equal(result, 'SUCCESS');
	const attributes = await attributesOf(user);
	assert.equal(attributes.given_name, 'Grace');
	assert.equal(attributes.family_name, 'Hopper');
});

await step('updateAttributes with an unknown attribute → InvalidParameterException, nothing changed', async () => {
	const error = await expectError(call(user, 'updateAttributes', [
		new CognitoUserAttribute({ Name: 'given_name', Value: 'Amazing Grace' }),
		new CognitoUserAttribute({ Name: 'shoe_size', Value: '38' }),
	]), 'InvalidParameterException');
	assert.match(error.message, /shoe_size/);
	assert.equal((await attributesOf(user)).given_name, 'Grace');
});

await step('deleteAttributes([family_name]) (DeleteUserAttributes) → SUCCESS, gone', async () => {
	const mark = calls.length;
	assert.equal(await call(user, 'deleteAttributes', ['family_name']), 'SUCCESS');
	// the library then reloads the user and refreshes the session (getUserData with bypassCache)
	assertCalls(mark, ['DeleteUserAttributes', 'GetUser', 'InitiateAuth(REFRESH_TOKEN_AUTH)']);
	const attributes = await attributesOf(user);
	assert.equal(attributes.family_name, undefined);
	assert.equal(attributes.given_name, 'Grace');
});

await step('deleteAttributes of the required email → InvalidParameterException; of an unknown one too', async () => {
	const required = await expectError(call(user, 'deleteAttributes', ['email']), 'InvalidParameterException');
	assert.match(required.message, /email: The attribute email is required/);
	const unknown = await expectError(call(user, 'deleteAttributes', ['given_name', 'shoe_size']), 'InvalidParameterException');
	assert.match(unknown.message, /Type for attribute \{shoe_size\} could not be determined/);
	const attributes = await attributesOf(user);
	assert.equal(attributes.email, email);
	assert.equal(attributes.given_name, 'Grace'); // all or nothing
});

await step('getAttributeVerificationCode(email) → verifyAttribute: a wrong code refused, the right one → SUCCESS', async () => {
	const before = await lastMessageId(endpoint, email);
	const mark = calls.length;
	const sent = await sendAttributeCode(user, 'email');
	assertCalls(mark, ['GetUserAttributeVerificationCode']);
	assert.equal(sent.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
	assert.equal(sent.CodeDeliveryDetails?.AttributeName, 'email');
	const message = await waitForCode(endpoint, email, { after: before, purpose: 'verify:email' });
	await expectError(verifyAttribute(user, 'email', wrongCode(message.code)), 'CodeMismatchException');
	assert.equal(await verifyAttribute(user, 'email', message.code), 'SUCCESS');
	assert.equal((await attributesOf(user)).email_verified, 'true');
	await expectError(verifyAttribute(user, 'email', message.code), 'ExpiredCodeException'); // single use
});

await step('getAttributeVerificationCode for an attribute the user lacks → InvalidParameterException', async () => {
	await expectError(sendAttributeCode(user, 'phone_number'), 'InvalidParameterException');
});

await step('refreshSession (REFRESH_TOKEN_AUTH) → a new access token, same origin_jti', async () => {
	const before = session;
	await new Promise((r) => setTimeout(r, 1100)); // a later iat
	const mark = calls.length;
	session = await call(user, 'refreshSession', before.getRefreshToken());
	assertCalls(mark, ['InitiateAuth(REFRESH_TOKEN_AUTH)']);
	const [oldAccess, newAccess] = [before.getAccessToken(), session.getAccessToken()];
	assert.notEqual(newAccess.getJwtToken(), oldAccess.getJwtToken());
	assert.ok(oldAccess.payload.origin_jti, 'access token has no origin_jti');
	assert.equal(newAccess.payload.origin_jti, oldAccess.payload.origin_jti);
	assert.notEqual(newAccess.payload.jti, oldAccess.payload.jti);
	assert.ok(newAccess.getIssuedAt() > oldAccess.getIssuedAt(), 'iat did not move');
	assert.equal(session.getRefreshToken().getToken(), before.getRefreshToken().getToken(),
		'the library keeps the refresh token when none is returned');
	assert.equal(session.getIdToken().payload.given_name, 'Grace', 'the refreshed ID token lacks the updated attribute');
	assert.equal((await attributesOf(user)).email, email); // the refreshed session is usable
});

await step('changePassword with a wrong old password → NotAuthorizedException; with a weak one → InvalidPasswordException', async () => {
	await expectError(call(user, 'changePassword', `${password}x`, newPassword()), 'NotAuthorizedException');
	await expectError(call(user, 'changePassword', password, 'weak'), 'InvalidPasswordException');
	assert.equal((await attributesOf(user)).email, email); // still signed in
});

await step('changePassword → SUCCESS; the old password is refused, the new one works', async () => {
	const old = password;
	password = newPassword();
	assert.equal(await call(user, 'changePassword', old, password), 'SUCCESS');
	await expectError(authenticate(newUser(), old), 'NotAuthorizedException');
	user = newUser();
	session = await authenticate(user, password);
});

await step('forgotPassword → code in the outbox → confirmPassword (wrong code, weak password refused) → sign in', async () => {
	const forgetful = newUser();
	const before = await lastMessageId(endpoint, email);
	const delivery = await new Promise((resolve, reject) =>
		forgetful.forgotPassword({ onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve }));
	assert.equal(delivery.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
	code = (await waitForCode(endpoint, email, { after: before, purpose: 'forgot_password' })).code;
	await expectError(new Promise((resolve, reject) =>
		forgetful.confirmPassword(wrongCode(code), newPassword(), { onSuccess: resolve, onFailure: reject })),
	'CodeMismatchException');
	await expectError(new Promise((resolve, reject) =>
		forgetful.confirmPassword(code, 'weak', { onSuccess: resolve, onFailure: reject })),
	'InvalidPasswordException');
	const old = password;
	password = newPassword();
	assert.equal(await new Promise((resolve, reject) =>
		forgetful.confirmPassword(code, password, { onSuccess: resolve, onFailure: reject })), 'SUCCESS');
	await expectError(authenticate(newUser(), old), 'NotAuthorizedException');
	user = newUser();
	session = await authenticate(user, password);
});

await step('authenticateUser with USER_PASSWORD_AUTH → a valid session', async () => {
	const plain = newUser();
	plain.setAuthenticationFlowType('USER_PASSWORD_AUTH');
	const mark = calls.length;
	const result = await authenticate(plain, password);
	assertSignInCalls(mark, ['InitiateAuth(USER_PASSWORD_AUTH)']);
	assert.ok(result.isValid());
	assert.equal(result.getIdToken().payload.sub, userSub);
});

await step('globalSignOut → the old access token and refresh token are refused', async () => {
	const old = session;
	const mark = calls.length;
	assert.equal(await new Promise((resolve, reject) => user.globalSignOut({ onSuccess: resolve, onFailure: reject })),
		'SUCCESS');
	assertCalls(mark, ['GlobalSignOut']);
	// the library forgets the session; an app still holding the tokens gets them refused by the server
	const holder = newUser();
	holder.setSignInUserSession(old);
	await expectError(
		new Promise((resolve, reject) => holder.getUserData(nodeback(resolve, reject), { bypassCache: true })),
		'NotAuthorizedException',
	);
	await assertAccessTokenRefused(endpoint, old.getAccessToken().getJwtToken());
	const refresh = await cognitoCall(endpoint, 'InitiateAuth', {
		ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: old.getRefreshToken().getToken() },
	});
	assert.equal(refresh.status, 400, `refresh after GlobalSignOut answered ${refresh.status} ${JSON.stringify(refresh.body)}`);
	assert.equal(refresh.body?.__type, 'NotAuthorizedException', JSON.stringify(refresh.body));
	// and through the library: refreshSession with the revoked refresh token
	await expectError(call(holder, 'refreshSession', old.getRefreshToken()), 'NotAuthorizedException');
	// globalSignOut with the revoked session fails too
	const stale = newUser();
	stale.setSignInUserSession(old);
	await expectError(new Promise((resolve, reject) => stale.globalSignOut({ onSuccess: resolve, onFailure: reject })),
		'NotAuthorizedException');
});

await step('signOut(callback) → RevokeToken; the old access token and refresh token are refused', async () => {
	user = newUser();
	const fresh = await authenticate(user, password);
	const mark = calls.length;
	await new Promise((resolve, reject) => user.signOut((err) => (err ? reject(err) : resolve())));
	assertCalls(mark, ['RevokeToken']);
	await assertAccessTokenRefused(endpoint, fresh.getAccessToken().getJwtToken());
	const refresh = await cognitoCall(endpoint, 'InitiateAuth', {
		ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: fresh.getRefreshToken().getToken() },
	});
	assert.equal(refresh.status, 400, `refresh after RevokeToken answered ${refresh.status} ${JSON.stringify(refresh.body)}`);
	assert.equal(refresh.body?.__type, 'NotAuthorizedException', JSON.stringify(refresh.body));
});

await step('deleteUser → SUCCESS; the user can no longer sign in', async () => {
	user = newUser();
	await authenticate(user, password);
	const mark = calls.length;
	assert.equal(await call(user, 'deleteUser'), 'SUCCESS');
	assertCalls(mark, ['DeleteUser']);
	await expectError(authenticate(newUser(), password), 'NotAuthorizedException');
});

await step('after deleteUser: getUserAttributes with the session the library kept → NotAuthorizedException', async () => {
	const mark = calls.length;
	await expectError(call(user, 'getUserAttributes'), 'NotAuthorizedException');
	assert.deepEqual(callsSince(mark).map((c) => `${c.target}=${c.status}`), ['GetUser=400']);
});

console.log(`# done: ${calls.length} Cognito calls`);
process.exit(0);
