"""The journeys, one module each: sign_up, sign_in, recovery, account. Each function takes a `Ctx`."""
