// aws-amplify v6 custom authentication against a sandbox whose triggers ask a "secret word"
// (tests/support/custom_auth_sandbox.py): signIn with CUSTOM_WITHOUT_SRP and CUSTOM_WITH_SRP, then
// confirmSignIn({challengeResponse}), a wrong answer first; a wrong password in the SRP round; and a legacy
// user migrated by signIn with USER_PASSWORD_AUTH. USERPOOL_SECRET_WORD, USERPOOL_LEGACY_EMAIL and
// USERPOOL_LEGACY_PASSWORD come from the test.
import { Amplify } from 'aws-amplify';
import { confirmSignIn, confirmSignUp, fetchAuthSession, fetchUserAttributes, signIn, signOut, signUp } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';
import { sharedInMemoryStorage } from 'aws-amplify/utils';

import { assert, calls, callsSince, describeCalls, expectError, newPassword, recordFetch, sandboxEnv, step, uniqueEmail, waitForCode } from './support.mjs';

const { endpoint, poolId, clientId } = sandboxEnv();
const secretWord = process.env.USERPOOL_SECRET_WORD;
const legacyEmail = process.env.USERPOOL_LEGACY_EMAIL;
const legacyPassword = process.env.USERPOOL_LEGACY_PASSWORD;
recordFetch();
Amplify.configure({
	Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint, loginWith: { email: true } } },
});
cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);

const email = uniqueEmail('amplify-custom');
const password = newPassword();
console.log(`# aws-amplify custom auth against ${endpoint} pool ${poolId} as ${email}`);

/** The Cognito calls since `mark`, as "Target(flow or challenge)". */
const names = (mark) => callsSince(mark).map((c) => `${c.target}${c.flow || c.challenge ? `(${c.flow ?? c.challenge})` : ''}`);

const expectCustomChallenge = (result) => {
	assert.equal(result.isSignedIn, false);
	assert.equal(result.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE');
	assert.equal(result.nextStep.additionalInfo?.question, 'What is the secret word?');
};

const signedInAs = async (who) => {
	const { tokens } = await fetchAuthSession();
	assert.ok(tokens?.accessToken && tokens?.idToken, 'no tokens after sign-in');
	assert.equal((await fetchUserAttributes()).email, who);
};

await step('signUp, confirmSignUp', async () => {
	await signUp({ username: email, password, options: { userAttributes: { email } } });
	await confirmSignUp({ username: email, confirmationCode: (await waitForCode(endpoint, email, { purpose: 'sign_up' })).code });
});

await step('signIn CUSTOM_WITHOUT_SRP → CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE with the public parameters', async () => {
	const mark = calls.length;
	expectCustomChallenge(await signIn({ username: email, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } }));
	assert.deepEqual(names(mark), ['InitiateAuth(CUSTOM_AUTH)'], describeCalls(callsSince(mark)));
});

await step('confirmSignIn with a wrong answer → the challenge again', async () => {
	expectCustomChallenge(await confirmSignIn({ challengeResponse: 'abracadabra' }));
});

await step('confirmSignIn with the secret word → DONE, signed in', async () => {
	const result = await confirmSignIn({ challengeResponse: secretWord });
	assert.equal(result.isSignedIn, true);
	assert.equal(result.nextStep.signInStep, 'DONE');
	await signedInAs(email);
	await signOut();
});

await step('signIn CUSTOM_WITH_SRP → PASSWORD_VERIFIER, then the custom challenge; confirmSignIn → DONE', async () => {
	const mark = calls.length;
	expectCustomChallenge(await signIn({ username: email, password, options: { authFlowType: 'CUSTOM_WITH_SRP' } }));
	assert.deepEqual(names(mark), ['InitiateAuth(CUSTOM_AUTH)', 'RespondToAuthChallenge(PASSWORD_VERIFIER)']);
	const result = await confirmSignIn({ challengeResponse: secretWord });
	assert.equal(result.nextStep.signInStep, 'DONE');
	assert.equal(names(mark)[2], 'RespondToAuthChallenge(CUSTOM_CHALLENGE)', describeCalls(callsSince(mark)));
	await signedInAs(email);
	await signOut();
});

await step('signIn CUSTOM_WITH_SRP with a wrong password → NotAuthorizedException', async () => {
	await expectError(signIn({ username: email, password: `${password}x`, options: { authFlowType: 'CUSTOM_WITH_SRP' } }), 'NotAuthorizedException');
});

await step('signIn USER_PASSWORD_AUTH as a legacy user → migrated, DONE', async () => {
	const result = await signIn({ username: legacyEmail, password: legacyPassword, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
	assert.equal(result.nextStep.signInStep, 'DONE');
	await signedInAs(legacyEmail);
	await signOut();
});

console.log("# done: aws-amplify custom auth");
process.exit(0);
