from userpool import define_auth

auth = define_auth(login_with={"email": True}, groups=["ADMINS"])
