import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Amplify } from "aws-amplify";
import { parseAmplifyConfig } from "aws-amplify/utils";
import "aws-amplify/auth/enable-oauth-listener"; // completes signInWithRedirect (the social buttons) on return
import "@aws-amplify/ui-react/styles.css";
import outputs from "../amplify_outputs.json"; // written by `userpool sandbox`
import { App } from "./App.jsx";

const config = parseAmplifyConfig(outputs);
config.Auth.Cognito.userPoolEndpoint = outputs.custom.userpool.endpoint; // the line userpool needs
Amplify.configure(config);

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
