class Solution:
    def numIslands(self, grid: list[list[str]]) -> int:
        rows = len(grid)
        cols = len(grid[0]) if rows else 0
        seen = [[cell != "1" for cell in row] for row in grid]
        islands = 0
        for r in range(rows):
            for c in range(cols):
                if seen[r][c]:
                    continue
                islands += 1
                seen[r][c] = True
                stack = [(r, c)]
                while stack:
                    y, x = stack.pop()
                    if y > 0 and not seen[y - 1][x]:
                        seen[y - 1][x] = True
                        stack.append((y - 1, x))
                    if y + 1 < rows and not seen[y + 1][x]:
                        seen[y + 1][x] = True
                        stack.append((y + 1, x))
                    if x > 0 and not seen[y][x - 1]:
                        seen[y][x - 1] = True
                        stack.append((y, x - 1))
                    if x + 1 < cols and not seen[y][x + 1]:
                        seen[y][x + 1] = True
                        stack.append((y, x + 1))
        return islands
