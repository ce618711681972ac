import { zeros, type Matrix } from '../../src/linalg/matrix.ts';

/** Central differences (f(X + h e_i) − f(X − h e_i)) / 2h of f along every coordinate of X (X is restored). */
export function numericGradient(X: Matrix, f: () => number, h = 1e-6): Matrix {
  const G = zeros(X.rows, X.cols);
  for (let i = 0; i < X.data.length; i++) {
    const x0 = X.data[i];
    X.data[i] = x0 + h;
    const up = f();
    X.data[i] = x0 - h;
    const down = f();
    X.data[i] = x0;
    G.data[i] = (up - down) / (2 * h);
  }
  return G;
}
