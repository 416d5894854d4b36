// aws-amplify v6 in a pool with MFA REQUIRED and both TOTP and email offered, for a user whose email is not
// verified: signIn → CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION → confirmSignIn('EMAIL') →
// CONTINUE_SIGN_IN_WITH_EMAIL_SETUP → confirmSignIn(address) (MFA_SETUP with EMAIL) →
// CONFIRM_SIGN_IN_WITH_EMAIL_CODE → the code from the sandbox outbox → DONE; email MFA is then on, and
// the next sign-in asks for an email code. USERPOOL_SETUP_EMAIL / USERPOOL_SETUP_PASSWORD name the user.
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchMFAPreference, fetchUserAttributes, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import {
	assert,
	assertCalls,
	calls,
	callsSince,
	describeCalls,
	expectError,
	lastMessageId,
	recordFetch,
	sandboxEnv,
	step,
	waitForCode,
} from './support.mjs';

const { endpoint, poolId, clientId } = sandboxEnv();
recordFetch();
Amplify.configure({
	Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);

const email = process.env.USERPOOL_SETUP_EMAIL;
const password = process.env.USERPOOL_SETUP_PASSWORD;
assert.ok(email && password, 'USERPOOL_SETUP_EMAIL and USERPOOL_SETUP_PASSWORD are needed');
console.log(`# aws-amplify email MFA setup against ${endpoint} pool ${poolId} as ${email}`);

await step('signIn → CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION offering TOTP and EMAIL', async () => {
	const mark = calls.length;
	const result = await signIn({ username: email, password });
	assert.equal(result.isSignedIn, false);
	assert.equal(result.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION', JSON.stringify(result.nextStep));
	assert.deepEqual([...result.nextStep.allowedMFATypes].sort(), ['EMAIL', 'TOTP']);
	const seen = assertCalls(mark, ['InitiateAuth(USER_SRP_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)']);
	assert.equal(seen[1].response.ChallengeName, 'MFA_SETUP');
	assert.deepEqual(JSON.parse(seen[1].response.ChallengeParameters.MFAS_CAN_SETUP), ['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP']);
});

await step("confirmSignIn('EMAIL') → CONTINUE_SIGN_IN_WITH_EMAIL_SETUP (no Cognito call)", async () => {
	const mark = calls.length;
	const result = await confirmSignIn({ challengeResponse: 'EMAIL' });
	assert.equal(result.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_EMAIL_SETUP', JSON.stringify(result.nextStep));
	assert.equal(callsSince(mark).length, 0, describeCalls(callsSince(mark)));
});

await step('confirmSignIn(an address that is not one) → InvalidParameterException; the setup goes on', async () => {
	const mark = calls.length;
	await expectError(confirmSignIn({ challengeResponse: 'nobody@nowhere' }), 'InvalidParameterException');
	assert.equal(describeCalls(callsSince(mark)), 'RespondToAuthChallenge(MFA_SETUP)=400 InvalidParameterException:');
});

let after;

await step('confirmSignIn(the address) → MFA_SETUP with EMAIL → CONFIRM_SIGN_IN_WITH_EMAIL_CODE', async () => {
	after = await lastMessageId(endpoint, email);
	const mark = calls.length;
	const result = await confirmSignIn({ challengeResponse: email });
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', JSON.stringify(result.nextStep));
	assert.equal(result.nextStep.codeDeliveryDetails.deliveryMedium, 'EMAIL');
	const [setup] = assertCalls(mark, ['RespondToAuthChallenge(MFA_SETUP)']);
	assert.equal(setup.request.ChallengeResponses.EMAIL, email);
	assert.equal(setup.response.ChallengeName, 'EMAIL_OTP');
});

await step('confirmSignIn(a wrong code) → CodeMismatchException; the code from the outbox → DONE', async () => {
	const { code } = await waitForCode(endpoint, email, { after });
	await expectError(confirmSignIn({ challengeResponse: code === '000000' ? '111111' : '000000' }), 'CodeMismatchException');
	const mark = calls.length;
	const result = await confirmSignIn({ challengeResponse: code });
	assert.equal(result.isSignedIn, true);
	assert.equal(result.nextStep.signInStep, 'DONE');
	assertCalls(mark, ['RespondToAuthChallenge(EMAIL_OTP)']);
});

await step('fetchMFAPreference → EMAIL on and preferred; fetchUserAttributes → the email verified', async () => {
	const preference = await fetchMFAPreference();
	assert.deepEqual(preference.enabled, ['EMAIL']);
	assert.equal(preference.preferred, 'EMAIL');
	const attributes = await fetchUserAttributes();
	assert.equal(attributes.email, email);
	assert.equal(attributes.email_verified, 'true');
	await signOut();
});

await step('signIn again → CONFIRM_SIGN_IN_WITH_EMAIL_CODE → the new code → DONE', async () => {
	after = await lastMessageId(endpoint, email);
	const result = await signIn({ username: email, password });
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', JSON.stringify(result.nextStep));
	const { code } = await waitForCode(endpoint, email, { after });
	const done = await confirmSignIn({ challengeResponse: code });
	assert.equal(done.isSignedIn, true);
	await signOut();
});

console.log('# done: aws-amplify email MFA setup');
process.exit(0);
