"""The Cognito user-pool endpoint: AWS JSON 1.1, `POST /` with `X-Amz-Target`."""
