def gen(n: int, seed: int):
    ops = ["Counter"] + ["inc"] * n + ["get"]
    return {"ops": ops, "args": [[seed]] + [[]] * (n + 1)}
