// aws-amplify v6 in a pool with MFA REQUIRED (TOTP only): a user an administrator created signs in with
// the temporary password → CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED → CONTINUE_SIGN_IN_WITH_TOTP_SETUP
// (AssociateSoftwareToken and VerifySoftwareToken with the challenge's Session, then MFA_SETUP) → DONE;
// the next sign-in asks for the TOTP code. USERPOOL_FORCE_EMAIL / USERPOOL_FORCE_PASSWORD name the user.
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchMFAPreference, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import { assert, assertCalls, calls, expectError, newPassword, recordFetch, sandboxEnv, step } from './support.mjs';
import { totp, wrongCode } from './totp.mjs';

const { endpoint, poolId, clientId } = sandboxEnv();
recordFetch();
Amplify.configure({
	Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);

const email = process.env.USERPOOL_FORCE_EMAIL;
const temporary = process.env.USERPOOL_FORCE_PASSWORD;
assert.ok(email && temporary, 'USERPOOL_FORCE_EMAIL and USERPOOL_FORCE_PASSWORD are needed');
const password = newPassword();
console.log(`# aws-amplify MFA setup against ${endpoint} pool ${poolId} as ${email}`);

let secret;

await step('signIn with the temporary password → CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED', async () => {
	const result = await signIn({ username: email, password: temporary });
	assert.equal(result.isSignedIn, false);
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');
	assert.deepEqual(result.nextStep.missingAttributes, []);
});

await step('confirmSignIn with a weak password → InvalidPasswordException (the challenge stays)', async () => {
	await expectError(confirmSignIn({ challengeResponse: 'weak' }), 'InvalidPasswordException');
});

await step('confirmSignIn(new password) → CONTINUE_SIGN_IN_WITH_TOTP_SETUP (AssociateSoftwareToken with the Session)', async () => {
	const mark = calls.length;
	const result = await confirmSignIn({ challengeResponse: password });
	assert.equal(result.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP');
	secret = result.nextStep.totpSetupDetails.sharedSecret;
	assert.match(secret, /^[A-Z2-7]{32}$/);
	assertCalls(mark, ['RespondToAuthChallenge(NEW_PASSWORD_REQUIRED)', 'AssociateSoftwareToken']);
});

await step('confirmSignIn(a wrong code) → EnableSoftwareTokenMFAException', async () => {
	await expectError(confirmSignIn({ challengeResponse: wrongCode(await totp(secret, -1)) }), 'EnableSoftwareTokenMFAException');
});

await step('confirmSignIn(the app\'s code) → VerifySoftwareToken, MFA_SETUP → DONE', async () => {
	const mark = calls.length;
	const result = await confirmSignIn({ challengeResponse: await totp(secret, -1) });
	assert.equal(result.isSignedIn, true);
	assert.equal(result.nextStep.signInStep, 'DONE');
	assertCalls(mark, ['VerifySoftwareToken', 'RespondToAuthChallenge(MFA_SETUP)']);
	const preference = await fetchMFAPreference();
	assert.equal(preference.preferred, 'TOTP');
	assert.deepEqual(preference.enabled, ['TOTP']);
	await signOut();
});

await step('signIn with the new password → CONFIRM_SIGN_IN_WITH_TOTP_CODE → DONE', async () => {
	const result = await signIn({ username: email, password });
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
	const done = await confirmSignIn({ challengeResponse: await totp(secret, 0) });
	assert.equal(done.isSignedIn, true);
});

console.log('# done: aws-amplify MFA setup');
