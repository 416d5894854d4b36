// aws-amplify v6 MFA against a sandbox with MFA OPTIONAL and TOTP, SMS and email factors:
// setUpTOTP, verifyTOTPSetup, updateMFAPreference, fetchMFAPreference, and confirmSignIn for
// CONFIRM_SIGN_IN_WITH_TOTP_CODE, _EMAIL_CODE, _SMS_CODE and CONTINUE_SIGN_IN_WITH_MFA_SELECTION,
// each with a failure case (a wrong code, a reused TOTP code). Codes come from the sandbox outbox; TOTP
// codes are computed here (totp.mjs).
import { Amplify } from 'aws-amplify';
import {
	confirmSignIn,
	confirmSignUp,
	confirmUserAttribute,
	fetchMFAPreference,
	sendUserAttributeVerificationCode,
	setUpTOTP,
	signIn,
	signOut,
	signUp,
	updateMFAPreference,
	updateUserAttributes,
	verifyTOTPSetup,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import { assert, calls, callsSince, expectError, lastMessageId, newPassword, recordFetch, sandboxEnv, step, uniqueEmail, waitForCode } from './support.mjs';
import { totp, wrongCode } from './totp.mjs';

const { endpoint, poolId, clientId } = sandboxEnv();
recordFetch();
Amplify.configure({
	Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);

const email = uniqueEmail('amplify-mfa');
const phone = `+1415${String(Date.now()).slice(-7)}`;
const password = newPassword();
console.log(`# aws-amplify MFA against ${endpoint} pool ${poolId} as ${email}`);

let secret;
let usedCode;

const signInTo = async (expected) => {
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, false, 'signed in without MFA');
	assert.equal(result.nextStep.signInStep, expected);
	return result.nextStep;
};

const codeAfter = async (to, purpose, after) => (await waitForCode(endpoint, to, { after, purpose })).code;

await step('signUp, confirmSignUp, signIn → DONE (OPTIONAL pool, no factor yet)', async () => {
	await signUp({ username: email, password, options: { userAttributes: { email } } });
	await confirmSignUp({ username: email, confirmationCode: (await waitForCode(endpoint, email, { purpose: 'sign_up' })).code });
	const result = await signIn({ username: email, password });
	assert.equal(result.nextStep.signInStep, 'DONE');
});

await step('fetchMFAPreference → nothing enabled', async () => {
	const preference = await fetchMFAPreference();
	assert.equal(preference.preferred, undefined);
	assert.equal(preference.enabled, undefined);
});

await step('setUpTOTP → a shared secret and an otpauth:// setup URI', async () => {
	const details = await setUpTOTP();
	secret = details.sharedSecret;
	assert.match(secret, /^[A-Z2-7]{32}$/);
	assert.match(details.getSetupUri('userpool', email).href, /^otpauth:\/\/totp\/userpool:/);
});

await step('verifyTOTPSetup with a wrong code → EnableSoftwareTokenMFAException', async () => {
	await expectError(verifyTOTPSetup({ code: wrongCode(await totp(secret, -1)) }), 'EnableSoftwareTokenMFAException');
});

await step('verifyTOTPSetup, updateMFAPreference({totp: PREFERRED}) → fetchMFAPreference shows TOTP', async () => {
	await verifyTOTPSetup({ code: await totp(secret, -1), options: { friendlyDeviceName: 'node' } });
	await updateMFAPreference({ totp: 'PREFERRED' });
	const preference = await fetchMFAPreference();
	assert.equal(preference.preferred, 'TOTP');
	assert.deepEqual(preference.enabled, ['TOTP']);
	await signOut();
});

await step('signIn → CONFIRM_SIGN_IN_WITH_TOTP_CODE; a wrong code → CodeMismatchException; the right one → DONE', async () => {
	await signInTo('CONFIRM_SIGN_IN_WITH_TOTP_CODE');
	usedCode = await totp(secret, 0);
	await expectError(confirmSignIn({ challengeResponse: wrongCode(usedCode) }), 'CodeMismatchException');
	const done = await confirmSignIn({ challengeResponse: usedCode });
	assert.equal(done.isSignedIn, true);
	assert.equal(done.nextStep.signInStep, 'DONE');
	await signOut();
});

await step('a TOTP code used once → ExpiredCodeException "already been used once"; a fresh one → DONE', async () => {
	await signInTo('CONFIRM_SIGN_IN_WITH_TOTP_CODE');
	const error = await expectError(confirmSignIn({ challengeResponse: usedCode }), 'ExpiredCodeException');
	assert.equal(error.message, 'Your software token has already been used once.');
	const done = await confirmSignIn({ challengeResponse: await totp(secret, 1) });
	assert.equal(done.isSignedIn, true);
});

await step('updateMFAPreference({email: PREFERRED, totp: ENABLED}) → fetchMFAPreference', async () => {
	await updateMFAPreference({ email: 'PREFERRED', totp: 'ENABLED' });
	const preference = await fetchMFAPreference();
	assert.equal(preference.preferred, 'EMAIL');
	assert.deepEqual(preference.enabled, ['TOTP', 'EMAIL']);
	await signOut();
});

await step('signIn → CONFIRM_SIGN_IN_WITH_EMAIL_CODE (masked); a wrong code → CodeMismatchException; the outbox code → DONE', async () => {
	const after = await lastMessageId(endpoint, email);
	const next = await signInTo('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
	assert.equal(next.codeDeliveryDetails.deliveryMedium, 'EMAIL');
	assert.match(next.codeDeliveryDetails.destination, /^a\*\*\*@e\*\*\*$/);
	const code = await codeAfter(email, 'mfa_email', after);
	await expectError(confirmSignIn({ challengeResponse: wrongCode(code) }), 'CodeMismatchException');
	assert.equal((await confirmSignIn({ challengeResponse: code })).isSignedIn, true);
});

await step('a verified phone number (updateUserAttributes, sendUserAttributeVerificationCode, confirmUserAttribute)', async () => {
	await updateUserAttributes({ userAttributes: { phone_number: phone } });
	const after = await lastMessageId(endpoint, phone);
	await sendUserAttributeVerificationCode({ userAttributeKey: 'phone_number' });
	await confirmUserAttribute({ userAttributeKey: 'phone_number', confirmationCode: await codeAfter(phone, 'verify:phone_number', after) });
});

await step('updateMFAPreference({sms: PREFERRED}) → signIn → CONFIRM_SIGN_IN_WITH_SMS_CODE; wrong, then right → DONE', async () => {
	await updateMFAPreference({ sms: 'PREFERRED' });
	assert.equal((await fetchMFAPreference()).preferred, 'SMS');
	await signOut();
	const after = await lastMessageId(endpoint, phone);
	const next = await signInTo('CONFIRM_SIGN_IN_WITH_SMS_CODE');
	assert.equal(next.codeDeliveryDetails.deliveryMedium, 'SMS');
	assert.ok(next.codeDeliveryDetails.destination.endsWith(phone.slice(-4)));
	const code = await codeAfter(phone, 'mfa_sms', after);
	await expectError(confirmSignIn({ challengeResponse: wrongCode(code) }), 'CodeMismatchException');
	assert.equal((await confirmSignIn({ challengeResponse: code })).isSignedIn, true);
});

await step('two factors, none preferred → CONTINUE_SIGN_IN_WITH_MFA_SELECTION; a factor not offered → InvalidParameterException; SMS → DONE', async () => {
	await updateMFAPreference({ sms: 'NOT_PREFERRED', totp: 'ENABLED', email: 'DISABLED' });
	assert.deepEqual((await fetchMFAPreference()).enabled, ['SMS', 'TOTP']);
	await signOut();
	const next = await signInTo('CONTINUE_SIGN_IN_WITH_MFA_SELECTION');
	assert.deepEqual(next.allowedMFATypes, ['SMS', 'TOTP']);
	await expectError(confirmSignIn({ challengeResponse: 'EMAIL' }), 'InvalidParameterException');
	const after = await lastMessageId(endpoint, phone);
	const mark = calls.length;
	const sms = await confirmSignIn({ challengeResponse: 'SMS' });
	assert.equal(sms.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_SMS_CODE');
	assert.equal(callsSince(mark)[0].challenge, 'SELECT_MFA_TYPE');
	assert.equal((await confirmSignIn({ challengeResponse: await codeAfter(phone, 'mfa_sms', after) })).isSignedIn, true);
});

console.log('# done: aws-amplify MFA');
