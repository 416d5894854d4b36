// amazon-cognito-identity-js custom authentication against a sandbox whose triggers ask a "secret word"
// (tests/support/custom_auth_sandbox.py): initiateAuth (CUSTOM_AUTH without SRP) and sendCustomChallengeAnswer,
// a wrong answer first; then authenticateUser with the CUSTOM_AUTH flow type (SRP first, then the challenge).
// USERPOOL_SECRET_WORD comes from the test.
import cognito from 'amazon-cognito-identity-js';

import { assert, calls, callsSince, describeCalls, newPassword, recordFetch, sandboxEnv, step, uniqueEmail, waitForCode } from './support.mjs';

const { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool } = cognito;

const { endpoint, poolId, clientId } = sandboxEnv();
const secretWord = process.env.USERPOOL_SECRET_WORD;
recordFetch();

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: `${endpoint}/` });
const email = uniqueEmail('acij-custom');
const password = newPassword();
console.log(`# amazon-cognito-identity-js custom auth against ${endpoint} pool ${poolId} as ${email}`);

const nodeback = (resolve, reject) => (err, result) => (err ? reject(err) : resolve(result));

/**
 * Run one custom sign-in: `start(callbacks)` begins it; each customChallenge is answered with the next of
 * `answers` (the parameters it carried are collected). Resolves with {session, challenges}.
 */
const customSignIn = (user, start, answers) =>
	new Promise((resolve, reject) => {
		const challenges = [];
		const unexpected = (what) => (...args) => reject(new Error(`unexpected ${what}: ${JSON.stringify(args)}`));
		const callbacks = {
			onSuccess: (session) => resolve({ session, challenges }),
			onFailure: reject,
			customChallenge(parameters) {
				challenges.push(parameters);
				const answer = answers.shift();
				if (answer === undefined) return reject(new Error(`no answer left for ${JSON.stringify(parameters)}`));
				return user.sendCustomChallengeAnswer(answer, callbacks);
			},
			newPasswordRequired: unexpected('newPasswordRequired'),
			mfaRequired: unexpected('mfaRequired'),
			totpRequired: unexpected('totpRequired'),
			mfaSetup: unexpected('mfaSetup'),
			selectMFAType: unexpected('selectMFAType'),
		};
		start(callbacks);
	});

await step('signUp, confirmRegistration', async () => {
	const result = await new Promise((resolve, reject) =>
		pool.signUp(email, password, [new CognitoUserAttribute({ Name: 'email', Value: email })], null, nodeback(resolve, reject)),
	);
	const code = (await waitForCode(endpoint, email, { purpose: 'sign_up' })).code;
	await new Promise((resolve, reject) => result.user.confirmRegistration(code, true, nodeback(resolve, reject)));
});

await step('initiateAuth (CUSTOM_AUTH), sendCustomChallengeAnswer wrong then right → a session', async () => {
	const mark = calls.length;
	const user = new CognitoUser({ Username: email, Pool: pool });
	user.setAuthenticationFlowType('CUSTOM_AUTH');
	const { session, challenges } = await customSignIn(
		user,
		(callbacks) => user.initiateAuth(new AuthenticationDetails({ Username: email }), callbacks),
		['abracadabra', secretWord],
	);
	assert.equal(challenges.length, 2);
	assert.equal(challenges[0].question, 'What is the secret word?');
	assert.ok(session.isValid() && session.getIdToken().payload.email === email);
	const flow = callsSince(mark).filter((c) => c.target !== 'ConfirmDevice');
	assert.deepEqual(
		flow.map((c) => `${c.target}(${c.flow ?? c.challenge})`),
		['InitiateAuth(CUSTOM_AUTH)', 'RespondToAuthChallenge(CUSTOM_CHALLENGE)', 'RespondToAuthChallenge(CUSTOM_CHALLENGE)'],
		describeCalls(callsSince(mark)),
	);
});

await step('authenticateUser with the CUSTOM_AUTH flow type: PASSWORD_VERIFIER, then the challenge → a session', async () => {
	const mark = calls.length;
	const user = new CognitoUser({ Username: email, Pool: pool });
	user.setAuthenticationFlowType('CUSTOM_AUTH');
	const details = new AuthenticationDetails({ Username: email, Password: password });
	const { session, challenges } = await customSignIn(user, (callbacks) => user.authenticateUser(details, callbacks), [secretWord]);
	assert.equal(challenges.length, 1);
	assert.ok(session.isValid());
	const seen = callsSince(mark).map((c) => `${c.target}(${c.flow ?? c.challenge})`);
	assert.deepEqual(seen.slice(0, 3), [
		'InitiateAuth(CUSTOM_AUTH)',
		'RespondToAuthChallenge(PASSWORD_VERIFIER)',
		'RespondToAuthChallenge(CUSTOM_CHALLENGE)',
	], describeCalls(callsSince(mark)));
	assert.equal(callsSince(mark)[0].request.AuthParameters.CHALLENGE_NAME, 'SRP_A');
});

console.log(`# done: ${calls.length} Cognito calls`);
process.exit(0);
