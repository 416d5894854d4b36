// aws-amplify v6 (Auth category) in Node against a userpool sandbox, through `userPoolEndpoint`.
//
//   USERPOOL_ENDPOINT=http://127.0.0.1:PORT USERPOOL_POOL_ID=... USERPOOL_CLIENT_ID=... node tests/node/amplify.mjs
//
// Node needs no shim: Node 20 has fetch, crypto.getRandomValues, atob/btoa. Amplify's default token storage
// falls back to memory when there is no window.localStorage; we set the shared in-memory storage explicitly
// so the script does not depend on that fallback (newer Node versions ship a global localStorage).
import { Amplify } from 'aws-amplify';
import {
	autoSignIn,
	confirmResetPassword,
	confirmSignUp,
	confirmUserAttribute,
	deleteUser,
	deleteUserAttributes,
	fetchAuthSession,
	fetchUserAttributes,
	getCurrentUser,
	resendSignUpCode,
	resetPassword,
	sendUserAttributeVerificationCode,
	signIn,
	signOut,
	signUp,
	updatePassword,
	updateUserAttribute,
	updateUserAttributes,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import {
	assert,
	assertAccessTokenRefused,
	assertCalls,
	calls,
	callsSince,
	cognito,
	describeCalls,
	expectError,
	jwtPayload,
	lastMessageId,
	newPassword,
	recordFetch,
	sandboxEnv,
	step,
	uniqueEmail,
	waitForCode,
} from './support.mjs';

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

const email = uniqueEmail('amplify');
let password = newPassword();
console.log(`# aws-amplify against ${endpoint} pool ${poolId} as ${email}`);

const SRP_SIGN_IN = ['InitiateAuth(USER_SRP_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)'];

/** The AuthenticationResult of the last successful sign-in / refresh call since `mark`. */
const lastAuthResult = (mark) =>
	callsSince(mark)
		.map((c) => c.response?.AuthenticationResult)
		.filter(Boolean)
		.pop();

const session = async () => {
	const { tokens } = await fetchAuthSession();
	assert.ok(tokens?.accessToken && tokens?.idToken, 'fetchAuthSession returned no tokens');
	return tokens;
};

let userSub;
let code;
let oldPassword;

await step('signUp → CONFIRM_SIGN_UP with a masked email destination', async () => {
	const result = await signUp({ username: email, password, options: { userAttributes: { email } } });
	assert.equal(result.isSignUpComplete, false);
	assert.equal(result.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
	const details = result.nextStep.codeDeliveryDetails;
	assert.equal(details?.deliveryMedium, 'EMAIL');
	assert.equal(details?.attributeName, 'email');
	assert.ok(details?.destination && details.destination !== email && details.destination.includes('*'),
		`destination not masked: ${details?.destination}`);
	assert.match(result.userId ?? '', /^[0-9a-f-]{36}$/, `userId is not a UUID: ${result.userId}`);
	userSub = result.userId;
});

await step('signUp again with the same email → UsernameExistsException', async () => {
	await expectError(signUp({ username: email, password, options: { userAttributes: { email } } }), 'UsernameExistsException');
});

await step('the sign-up code is in the outbox', async () => {
	const message = await waitForCode(endpoint, email, { purpose: 'sign_up' });
	assert.equal(message.channel, 'EMAIL');
	assert.ok(message.body.includes(message.code), 'the message body does not contain the code');
	code = message.code;
});

await step('confirmSignUp with a wrong code → CodeMismatchException', async () => {
	const wrong = code === '000000' ? '111111' : '000000';
	await expectError(confirmSignUp({ username: email, confirmationCode: wrong }), 'CodeMismatchException');
});

await step('signIn before confirming → nextStep CONFIRM_SIGN_UP (UserNotConfirmedException)', async () => {
	const mark = calls.length;
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, false);
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_UP');
	const last = callsSince(mark).pop();
	assert.equal(last?.error?.split(':')[0], 'UserNotConfirmedException', `last call: ${last?.target} ${last?.status} ${last?.error}`);
});

await step('resendSignUpCode → a new code in the outbox', async () => {
	const before = await lastMessageId(endpoint, email);
	const result = await resendSignUpCode({ username: email });
	assert.equal(result.deliveryMedium, 'EMAIL');
	assert.equal(result.attributeName, 'email');
	const message = await waitForCode(endpoint, email, { after: before, purpose: 'sign_up' });
	code = message.code;
});

await step('confirmSignUp with the code → isSignUpComplete', async () => {
	const result = await confirmSignUp({ username: email, confirmationCode: code });
	assert.equal(result.isSignUpComplete, true);
	assert.equal(result.nextStep.signUpStep, 'DONE');
});

await step('confirmSignUp again → NotAuthorizedException; resendSignUpCode when confirmed → InvalidParameterException', async () => {
	const again = await expectError(confirmSignUp({ username: email, confirmationCode: code }), 'NotAuthorizedException');
	assert.match(again.message, /Current status is CONFIRMED/);
	const resent = await expectError(resendSignUpCode({ username: email }), 'InvalidParameterException');
	assert.equal(resent.message, 'User is already confirmed.');
});

await step('signIn with a wrong password → NotAuthorizedException', async () => {
	await expectError(signIn({ username: email, password: `${password}x` }), 'NotAuthorizedException');
});

await step('signIn as a user who does not exist → the same NotAuthorizedException after a full SRP exchange', async () => {
	const mark = calls.length;
	const error = await expectError(signIn({ username: uniqueEmail('nobody'), password }), 'NotAuthorizedException');
	assert.equal(error.message, 'Incorrect username or password.');
	assert.deepEqual(callsSince(mark).map((c) => `${c.target}=${c.status}`), ['InitiateAuth=200', 'RespondToAuthChallenge=400']);
});

await step('signIn (USER_SRP_AUTH + PASSWORD_VERIFIER) → DONE', async () => {
	const mark = calls.length;
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, true);
	assert.equal(result.nextStep.signInStep, 'DONE');
	assertCalls(mark, SRP_SIGN_IN);
});

await step('getCurrentUser → username and userId (the sub)', async () => {
	const user = await getCurrentUser();
	assert.equal(user.userId, userSub);
	const { idToken } = await session();
	assert.equal(user.username, idToken.payload['cognito:username']);
	assert.ok(user.username, 'empty username');
	assert.equal(user.signInDetails?.loginId, email);
});

await step('fetchUserAttributes → email, email_verified "true", sub', async () => {
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.email, email);
	assert.equal(attributes.email_verified, 'true');
	assert.equal(attributes.sub, userSub);
});

await step('updateUserAttributes({given_name, family_name}) → shown by fetchUserAttributes', async () => {
	const mark = calls.length;
	const result = await updateUserAttributes({ userAttributes: { given_name: 'Ada', family_name: 'Lovelace' } });
	for (const name of ['given_name', 'family_name']) {
		assert.equal(result[name]?.isUpdated, true, `${name}: ${JSON.stringify(result[name])}`);
		assert.equal(result[name]?.nextStep?.updateAttributeStep, 'DONE');
	}
	assertCalls(mark, ['UpdateUserAttributes']);
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.given_name, 'Ada');
	assert.equal(attributes.family_name, 'Lovelace');
});

await step('updateUserAttribute({given_name}) (singular) → UpdateUserAttributes, DONE, shown by fetchUserAttributes', async () => {
	const mark = calls.length;
	const result = await updateUserAttribute({ userAttribute: { attributeKey: 'given_name', value: 'Augusta Ada' } });
	assert.equal(result.isUpdated, true, JSON.stringify(result));
	assert.equal(result.nextStep.updateAttributeStep, 'DONE');
	const [update] = assertCalls(mark, ['UpdateUserAttributes']);
	assert.deepEqual(update.request.UserAttributes, [{ Name: 'given_name', Value: 'Augusta Ada' }]);
	assert.equal((await fetchUserAttributes()).given_name, 'Augusta Ada');
	await updateUserAttribute({ userAttribute: { attributeKey: 'given_name', value: 'Ada' } });
});

await step('updateUserAttribute of an attribute the pool lacks → InvalidParameterException naming it', async () => {
	const error = await expectError(
		updateUserAttribute({ userAttribute: { attributeKey: 'favourite_colour', value: 'blue' } }),
		'InvalidParameterException',
	);
	assert.match(error.message, /favourite_colour/);
	assert.equal((await fetchUserAttributes()).favourite_colour, undefined);
});

await step('updateUserAttributes with an unknown attribute → InvalidParameterException, nothing changed', async () => {
	const error = await expectError(
		updateUserAttributes({ userAttributes: { given_name: 'Augusta', favourite_colour: 'blue' } }),
		'InvalidParameterException',
	);
	assert.match(error.message, /favourite_colour/);
	assert.equal((await fetchUserAttributes()).given_name, 'Ada');
});

await step('deleteUserAttributes([family_name]) (DeleteUserAttributes) → gone from fetchUserAttributes', async () => {
	const mark = calls.length;
	await deleteUserAttributes({ userAttributeKeys: ['family_name'] });
	assertCalls(mark, ['DeleteUserAttributes']);
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.family_name, undefined);
	assert.equal(attributes.given_name, 'Ada');
});

await step('deleteUserAttributes of the required email → InvalidParameterException; of sub → NotAuthorizedException', async () => {
	const required = await expectError(deleteUserAttributes({ userAttributeKeys: ['email'] }), 'InvalidParameterException');
	assert.match(required.message, /email: The attribute email is required/);
	await expectError(deleteUserAttributes({ userAttributeKeys: ['sub'] }), 'NotAuthorizedException');
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.email, email);
	assert.equal(attributes.email_verified, 'true');
});

await step('sendUserAttributeVerificationCode for an attribute the user lacks → InvalidParameterException', async () => {
	await expectError(sendUserAttributeVerificationCode({ userAttributeKey: 'phone_number' }), 'InvalidParameterException');
});

await step('fetchAuthSession({forceRefresh}) → GetTokensFromRefreshToken, same origin_jti, new jti', async () => {
	const before = await session();
	const mark = calls.length;
	await new Promise((r) => setTimeout(r, 1100)); // a later iat, so nothing can pass by reusing the old token
	const { tokens } = await fetchAuthSession({ forceRefresh: true });
	assertCalls(mark, ['GetTokensFromRefreshToken']);
	const [oldAccess, newAccess] = [before.accessToken.payload, tokens.accessToken.payload];
	assert.ok(oldAccess.origin_jti, 'access token has no origin_jti');
	assert.equal(newAccess.origin_jti, oldAccess.origin_jti);
	assert.notEqual(newAccess.jti, oldAccess.jti);
	assert.ok(newAccess.iat > oldAccess.iat, `iat ${newAccess.iat} not after ${oldAccess.iat}`);
	assert.equal(newAccess.sub, userSub);
	assert.equal(newAccess.token_use, 'access');
	assert.equal(newAccess.client_id, clientId);
	const [oldId, newId] = [before.idToken.payload, tokens.idToken.payload];
	assert.equal(newId.origin_jti, oldId.origin_jti);
	assert.notEqual(newId.jti, oldId.jti);
	assert.equal(newId.token_use, 'id');
	assert.equal(newId.aud, clientId);
	assert.equal(newId.given_name, 'Ada', 'the refreshed ID token does not carry the updated attribute');
	// the refreshed session is usable
	assert.equal((await fetchUserAttributes()).email, email);
});

await step('updatePassword with a wrong old password → NotAuthorizedException; with a weak one → InvalidPasswordException', async () => {
	await expectError(updatePassword({ oldPassword: `${password}x`, newPassword: newPassword() }), 'NotAuthorizedException');
	const weak = await expectError(updatePassword({ oldPassword: password, newPassword: 'weak' }), 'InvalidPasswordException');
	assert.match(weak.message, /Password did not conform with password policy/);
	assert.equal((await fetchUserAttributes()).email, email); // still signed in
});

await step('updatePassword (ChangePassword)', async () => {
	const mark = calls.length;
	const next = newPassword();
	await updatePassword({ oldPassword: password, newPassword: next });
	assertCalls(mark, ['ChangePassword']);
	oldPassword = password;
	password = next;
});

await step('signOut, then signIn with the old password is refused', async () => {
	await signOut();
	await expectError(signIn({ username: email, password: oldPassword }), 'NotAuthorizedException');
});

await step('signed out: getCurrentUser and fetchUserAttributes → UserUnAuthenticatedException, no Cognito call', async () => {
	const mark = calls.length;
	await expectError(getCurrentUser(), 'UserUnAuthenticatedException');
	await expectError(fetchUserAttributes(), 'UserUnAuthenticatedException');
	assert.equal(callsSince(mark).length, 0, `calls: ${describeCalls(callsSince(mark))}`);
});

await step('signIn with the new password → DONE', async () => {
	const mark = calls.length;
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, true);
	assertCalls(mark, SRP_SIGN_IN);
	await signOut();
});

await step('resetPassword → CONFIRM_RESET_PASSWORD_WITH_CODE, code in the outbox', async () => {
	const before = await lastMessageId(endpoint, email);
	const result = await resetPassword({ username: email });
	assert.equal(result.isPasswordReset, false);
	assert.equal(result.nextStep.resetPasswordStep, 'CONFIRM_RESET_PASSWORD_WITH_CODE');
	assert.equal(result.nextStep.codeDeliveryDetails?.deliveryMedium, 'EMAIL');
	code = (await waitForCode(endpoint, email, { after: before, purpose: 'forgot_password' })).code;
});

await step('confirmResetPassword with a wrong code → CodeMismatchException; with a weak password → InvalidPasswordException', async () => {
	const wrong = code === '000000' ? '111111' : '000000';
	await expectError(confirmResetPassword({ username: email, confirmationCode: wrong, newPassword: newPassword() }),
		'CodeMismatchException');
	await expectError(confirmResetPassword({ username: email, confirmationCode: code, newPassword: 'weak' }),
		'InvalidPasswordException'); // the policy is checked before the code is spent
});

await step('confirmResetPassword with the code, then signIn with the reset password', async () => {
	const next = newPassword();
	await confirmResetPassword({ username: email, confirmationCode: code, newPassword: next });
	await expectError(signIn({ username: email, password }), 'NotAuthorizedException');
	password = next;
	const mark = calls.length;
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, true);
	assertCalls(mark, SRP_SIGN_IN);
});

await step('resetPassword past the resend cooldown → LimitExceededException (retried by Amplify), nothing sent', async () => {
	for (let sent = 1; sent < 5; sent += 1) { // the server allows 5 codes back to back; one went out above
		await resetPassword({ username: email });
	}
	const before = await lastMessageId(endpoint, email);
	const mark = calls.length;
	const error = await expectError(resetPassword({ username: email }), 'LimitExceededException');
	assert.equal(error.message, 'Attempt limit exceeded, please try after some time.');
	const attempts = callsSince(mark);
	assert.ok(attempts.length >= 1 && attempts.every((c) => c.target === 'ForgotPassword' && c.status === 400),
		`calls: ${describeCalls(attempts)}`);
	assert.equal(await lastMessageId(endpoint, email), before, 'a refused send still sent a message');
});

await step('signOut() revokes the session (RevokeToken): old access and refresh tokens refused', async () => {
	const { accessToken } = await session();
	assert.ok(accessToken.payload.origin_jti, 'no origin_jti: Amplify would not call RevokeToken');
	const mark = calls.length;
	await signOut();
	const [revoke] = assertCalls(mark, ['RevokeToken']); // signOut swallows errors: the status is checked here
	assert.equal(revoke.request.ClientId, clientId);
	await assertAccessTokenRefused(endpoint, accessToken.toString());
	const refresh = await cognito(endpoint, 'GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: revoke.request.Token });
	assert.equal(refresh.status, 400, `refresh with the revoked token answered ${refresh.status} ${JSON.stringify(refresh.body)}`);
	assert.equal(refresh.body?.__type, 'NotAuthorizedException', JSON.stringify(refresh.body));
});

await step('signIn, signOut({global: true}) (GlobalSignOut): old access and refresh tokens refused', async () => {
	const mark = calls.length;
	await signIn({ username: email, password });
	const refreshToken = lastAuthResult(mark)?.RefreshToken;
	assert.ok(refreshToken, 'the sign-in returned no refresh token');
	const { accessToken } = await session();
	const signOutMark = calls.length;
	await signOut({ global: true });
	assertCalls(signOutMark, ['GlobalSignOut']); // signOut swallows errors: the status is checked here
	await assertAccessTokenRefused(endpoint, accessToken.toString());
	const refresh = await cognito(endpoint, 'GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: refreshToken });
	assert.equal(refresh.status, 400, `refresh after GlobalSignOut answered ${refresh.status} ${JSON.stringify(refresh.body)}`);
	assert.equal(refresh.body?.__type, 'NotAuthorizedException', JSON.stringify(refresh.body));
	await expectError(getCurrentUser(), 'UserUnAuthenticatedException');
});

await step('signIn with authFlowType USER_PASSWORD_AUTH → DONE', async () => {
	const mark = calls.length;
	const result = await signIn({ username: email, password, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
	assert.equal(result.isSignedIn, true);
	assert.equal(result.nextStep.signInStep, 'DONE');
	assertCalls(mark, ['InitiateAuth(USER_PASSWORD_AUTH)']);
	const user = await getCurrentUser();
	assert.equal(user.userId, userSub);
	assert.equal(user.signInDetails?.authFlowType, 'USER_PASSWORD_AUTH');
	assert.equal(jwtPayload((await session()).accessToken.toString()).username, user.username);
	await signOut();
});

await step('fetchAuthSession({forceRefresh}) after a sign-out elsewhere → no tokens, signed out', async () => {
	await signIn({ username: email, password });
	const { accessToken } = await session();
	const out = await cognito(endpoint, 'GlobalSignOut', { AccessToken: accessToken.toString() }); // another device
	assert.equal(out.status, 200, JSON.stringify(out.body));
	const mark = calls.length;
	const { tokens } = await fetchAuthSession({ forceRefresh: true });
	assert.equal(tokens, undefined, 'fetchAuthSession still returned tokens');
	const [refresh] = callsSince(mark);
	assert.equal(`${refresh?.target} ${refresh?.status} ${refresh?.error?.split(':')[0]}`,
		'GetTokensFromRefreshToken 400 NotAuthorizedException');
	await expectError(getCurrentUser(), 'UserUnAuthenticatedException');
});

// ------------------------------------------------------------------------- beyond the basic journey

const email2 = uniqueEmail('amplify-auto');
const password2 = newPassword();
let userSub2;

await step('a second user: signUp with autoSignIn → confirmSignUp → COMPLETE_AUTO_SIGN_IN → autoSignIn() → DONE', async () => {
	const result = await signUp({ username: email2, password: password2, options: { userAttributes: { email: email2 }, autoSignIn: true } });
	assert.equal(result.nextStep.signUpStep, 'CONFIRM_SIGN_UP');
	userSub2 = result.userId;
	const message = await waitForCode(endpoint, email2, { purpose: 'sign_up' });
	const confirmed = await confirmSignUp({ username: email2, confirmationCode: message.code });
	assert.equal(confirmed.isSignUpComplete, true);
	assert.equal(confirmed.nextStep.signUpStep, 'COMPLETE_AUTO_SIGN_IN');
	const mark = calls.length;
	const signedIn = await autoSignIn();
	assert.equal(signedIn.isSignedIn, true);
	assert.equal(signedIn.nextStep.signInStep, 'DONE');
	assertCalls(mark, SRP_SIGN_IN);
	assert.equal((await getCurrentUser()).userId, userSub2);
});

await step('autoSignIn once more → AutoSignInException (the flow is complete)', async () => {
	await expectError(autoSignIn(), 'AutoSignInException');
});

const email3 = uniqueEmail('amplify-moved');
await step('updateUserAttributes({email}) → CONFIRM_ATTRIBUTE_WITH_CODE → confirmUserAttribute (wrong code refused)', async () => {
	const result = await updateUserAttributes({ userAttributes: { email: email3 } });
	assert.equal(result.email?.isUpdated, false);
	assert.equal(result.email?.nextStep?.updateAttributeStep, 'CONFIRM_ATTRIBUTE_WITH_CODE');
	assert.equal(result.email?.nextStep?.codeDeliveryDetails?.deliveryMedium, 'EMAIL');
	const message = await waitForCode(endpoint, email3, { purpose: 'verify:email' });
	const wrong = message.code === '000000' ? '111111' : '000000';
	await expectError(confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: wrong }), 'CodeMismatchException');
	const mark = calls.length;
	await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: message.code });
	assertCalls(mark, ['VerifyUserAttribute']);
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.email, email3);
	assert.equal(attributes.email_verified, 'true');
});

await step('sendUserAttributeVerificationCode → a code to the new address → confirmUserAttribute', async () => {
	const before = await lastMessageId(endpoint, email3);
	const mark = calls.length;
	const details = await sendUserAttributeVerificationCode({ userAttributeKey: 'email' });
	assertCalls(mark, ['GetUserAttributeVerificationCode']);
	assert.equal(details.deliveryMedium, 'EMAIL');
	assert.equal(details.attributeName, 'email');
	const message = await waitForCode(endpoint, email3, { after: before, purpose: 'verify:email' });
	await confirmUserAttribute({ userAttributeKey: 'email', confirmationCode: message.code });
	assert.equal((await fetchUserAttributes()).email_verified, 'true');
});

await step('signIn with the new email works; the old email is refused', async () => {
	await signOut();
	await expectError(signIn({ username: email2, password: password2 }), 'NotAuthorizedException');
	const result = await signIn({ username: email3, password: password2 });
	assert.equal(result.isSignedIn, true);
	assert.equal((await getCurrentUser()).userId, userSub2);
});

await step('deleteUser (DeleteUser) → signed out; the user can no longer sign in', async () => {
	const { accessToken } = await session();
	const mark = calls.length;
	await deleteUser();
	assert.equal(callsSince(mark)[0]?.target, 'DeleteUser');
	assert.ok(callsSince(mark)[0].status === 200, `DeleteUser answered ${callsSince(mark)[0].status}`);
	await expectError(getCurrentUser(), 'UserUnAuthenticatedException');
	const r = await cognito(endpoint, 'GetUser', { AccessToken: accessToken.toString() });
	assert.equal(r.status, 400, `GetUser for a deleted user answered ${r.status}`);
	await expectError(signIn({ username: email3, password: password2 }), 'NotAuthorizedException');
});

await step('deleteUser and deleteUserAttributes when signed out → UserUnAuthenticatedException', async () => {
	await expectError(deleteUser(), 'UserUnAuthenticatedException');
	await expectError(deleteUserAttributes({ userAttributeKeys: ['given_name'] }), 'UserUnAuthenticatedException');
});

console.log(`# done: ${calls.length} Cognito calls`);
// Amplify's autoSignIn leaves a 3-minute timer behind; do not wait for it.
process.exit(0);
