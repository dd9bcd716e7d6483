import sys

for line in sys.stdin:
    if line.strip():
        print(sum(int(x) for x in line.split()))
