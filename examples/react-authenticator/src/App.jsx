import { useEffect, useState } from "react";
import { Authenticator, withAuthenticator } from "@aws-amplify/ui-react";
import { fetchMFAPreference, setUpTOTP, updateMFAPreference, verifyTOTPSetup } from "aws-amplify/auth";

const WITH_AUTHENTICATOR = "#/with-authenticator";

/** Two pages, picked by the URL's hash: `<Authenticator>` at `/`, `withAuthenticator` at `/#/with-authenticator`. */
export function App() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return hash === WITH_AUTHENTICATOR ? <WithAuthenticatorPage /> : <AuthenticatorPage />;
}

/** The `<Authenticator>` component: sign up, confirm, sign in, MFA and password reset are all its own screens. */
function AuthenticatorPage() {
  return (
    <Authenticator>
      {({ signOut, user }) => (
        <main>
          <h1>Hello {user.signInDetails?.loginId ?? user.username}</h1>
          <AuthenticatorApp />
          <p>
            <button onClick={signOut}>Sign out</button> <a href={WITH_AUTHENTICATOR}>The withAuthenticator page</a>
          </p>
        </main>
      )}
    </Authenticator>
  );
}

/**
 * With MFA "OPTIONAL" the Authenticator never offers TOTP set-up, so a signed-in user turns it on here:
 * setUpTOTP shows the secret, verifyTOTPSetup checks a first code, updateMFAPreference makes TOTP the default.
 * (With MFA "REQUIRED" the Authenticator's own setupTotp screen does this during sign-in.)
 */
function AuthenticatorApp() {
  const [enabled, setEnabled] = useState(null);
  const [setup, setSetup] = useState(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState("");

  useEffect(() => {
    fetchMFAPreference().then(
      (preference) => setEnabled(Boolean(preference.enabled?.includes("TOTP"))),
      (e) => setError(e.message),
    );
  }, []);

  const start = async () => {
    setError("");
    try {
      setSetup(await setUpTOTP());
    } catch (e) {
      setError(e.message);
    }
  };
  const verify = async (event) => {
    event.preventDefault();
    setError("");
    try {
      await verifyTOTPSetup({ code });
      await updateMFAPreference({ totp: "PREFERRED" });
      setSetup(null);
      setEnabled(true);
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <section aria-label="Authenticator app">
      {enabled && <p>Authenticator app: on</p>}
      {enabled === false && !setup && (
        <button onClick={start}>Set up an authenticator app</button>
      )}
      {setup && (
        <form onSubmit={verify}>
          <p>
            Add this key to your authenticator app: <code aria-label="Secret key">{setup.sharedSecret}</code>
          </p>
          <p>
            <a href={setup.getSetupUri("userpool example").href}>Open in an authenticator app</a>
          </p>
          <label>
            Code from the app <input value={code} onChange={(e) => setCode(e.target.value)} inputMode="numeric" />
          </label>{" "}
          <button type="submit">Verify</button>
        </form>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function Greeting({ signOut, user }) {
  return (
    <main>
      <h1>Hello {user.signInDetails?.loginId ?? user.username}</h1>
      <p>This page is wrapped in withAuthenticator.</p>
      <p>
        <button onClick={signOut}>Sign out</button> <a href="#/">The Authenticator page</a>
      </p>
    </main>
  );
}

const WithAuthenticatorPage = withAuthenticator(Greeting);
