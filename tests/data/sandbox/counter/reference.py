class Counter:
    def __init__(self, start):
        self.n = start

    def inc(self):
        self.n += 1

    def get(self):
        return self.n
