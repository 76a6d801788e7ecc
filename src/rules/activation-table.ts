/**
 * σ, σ′, …, σ⁽4⁾ of each named activation (in x), as derived by mathjs from the rules in
 * activations.ts, in formula-text.ts's exact form. Written by scripts/write-activation-table.ts
 * (`npm run activation-table`); test/activation-table.test.ts checks it against a fresh derivation.
 */
import type { NamedActivation } from "../model/types.js";

export const ACTIVATION_TABLE_ORDER = 4;

export const ACTIVATION_TABLE: Record<NamedActivation, readonly string[]> = {
  tanh: [
    "tanh(x)",
    "pow(div(1,cosh(x)),2)",
    "neg(mul(mul(2,pow(div(1,cosh(x)),2)),tanh(x)))",
    "sub(mul(mul(4,pow(tanh(x),2)),pow(div(1,cosh(x)),2)),mul(2,pow(div(1,cosh(x)),4)))",
    "sub(mul(mul(16,pow(div(1,cosh(x)),4)),tanh(x)),mul(mul(8,pow(tanh(x),3)),pow(div(1,cosh(x)),2)))",
  ],
  sin: ["sin(x)", "cos(x)", "neg(sin(x))", "neg(cos(x))", "sin(x)"],
  cos: ["cos(x)", "neg(sin(x))", "neg(cos(x))", "sin(x)", "cos(x)"],
  linear: ["x", "1", "0", "0", "0"],
  sigmoid: [
    "mul(0.5,add(tanh(mul(0.5,x)),1))",
    "mul(0.25,pow(div(1,cosh(mul(0.5,x))),2))",
    "neg(mul(mul(0.25,pow(div(1,cosh(mul(0.5,x))),2)),tanh(mul(0.5,x))))",
    "sub(mul(mul(0.25,pow(div(1,cosh(mul(0.5,x))),2)),pow(tanh(mul(0.5,x)),2)),mul(0.125,pow(div(1,cosh(mul(0.5,x))),4)))",
    "sub(mul(mul(0.5,tanh(mul(0.5,x))),pow(div(1,cosh(mul(0.5,x))),4)),mul(mul(0.25,pow(tanh(mul(0.5,x)),3)),pow(div(1,cosh(mul(0.5,x))),2)))",
  ],
  softplus: [
    "add(mul(0.5,x),log(mul(2,cosh(mul(0.5,x)))))",
    "mul(0.5,add(tanh(mul(0.5,x)),1))",
    "mul(0.25,pow(div(1,cosh(mul(0.5,x))),2))",
    "neg(mul(mul(0.25,pow(div(1,cosh(mul(0.5,x))),2)),tanh(mul(0.5,x))))",
    "sub(mul(mul(0.25,pow(div(1,cosh(mul(0.5,x))),2)),pow(tanh(mul(0.5,x)),2)),mul(0.125,pow(div(1,cosh(mul(0.5,x))),4)))",
  ],
  silu: [
    "mul(mul(0.5,x),add(tanh(mul(0.5,x)),1))",
    "add(mul(0.5,add(tanh(mul(0.5,x)),1)),mul(mul(0.25,x),pow(div(1,cosh(mul(0.5,x))),2)))",
    "mul(pow(div(1,cosh(mul(0.5,x))),2),sub(0.5,mul(mul(0.25,x),tanh(mul(0.5,x)))))",
    "sub(mul(pow(div(1,cosh(mul(0.5,x))),2),sub(mul(mul(0.25,pow(tanh(mul(0.5,x)),2)),x),mul(0.75,tanh(mul(0.5,x))))),mul(mul(0.125,pow(div(1,cosh(mul(0.5,x))),4)),x))",
    "add(mul(pow(div(1,cosh(mul(0.5,x))),4),sub(mul(mul(0.5,tanh(mul(0.5,x))),x),0.5)),mul(pow(div(1,cosh(mul(0.5,x))),2),sub(pow(tanh(mul(0.5,x)),2),mul(mul(0.25,pow(tanh(mul(0.5,x)),3)),x))))",
  ],
  gelu: [
    "mul(mul(0.5,x),add(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),1))",
    "mul(0.5,add(add(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),1),mul(mul(add(mul(0.134145,pow(x,3)),x),sqrt(div(2,3.141592653589793))),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2))))",
    "mul(mul(0.5,pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2)),add(mul(sqrt(div(2,3.141592653589793)),add(mul(0.53658,pow(x,2)),2)),mul(mul(mul(mul(2,pow(sqrt(div(2,3.141592653589793)),2)),sub(neg(mul(0.134145,pow(x,3))),x)),add(mul(0.134145,pow(x,2)),1)),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))))))",
    "add(mul(mul(add(mul(mul(mul(mul(2,pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),2)),pow(sqrt(div(2,3.141592653589793)),3)),sub(neg(mul(0.134145,pow(x,3))),x)),add(mul(0.134145,pow(x,2)),1)),mul(mul(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),pow(sqrt(div(2,3.141592653589793)),2)),add(mul(0.53658,pow(x,2)),2))),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2)),sub(neg(mul(0.134145,pow(x,2))),1)),mul(0.5,add(mul(mul(mul(mul(2,pow(add(mul(0.134145,pow(x,2)),1),2)),pow(sqrt(div(2,3.141592653589793)),3)),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),4)),sub(neg(mul(0.134145,pow(x,3))),x)),mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2),add(mul(mul(1.07316,sqrt(div(2,3.141592653589793))),x),mul(mul(pow(sqrt(div(2,3.141592653589793)),2),add(mul(mul(2,sub(neg(mul(0.402435,pow(x,2))),1)),add(mul(0.134145,pow(x,2)),1)),mul(0.53658,sub(neg(pow(x,2)),mul(0.134145,pow(x,4)))))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))))))))",
    "sub(add(mul(add(add(mul(add(mul(0.134145,pow(x,2)),1),add(mul(mul(pow(sqrt(div(2,3.141592653589793)),3),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),4)),add(mul(0.53658,pow(x,2)),2)),mul(mul(2,sub(mul(mul(pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),2),sub(neg(mul(0.53658,pow(x,2))),2)),pow(sqrt(div(2,3.141592653589793)),3)),mul(mul(mul(mul(2,pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),3)),pow(sqrt(div(2,3.141592653589793)),4)),sub(neg(mul(0.134145,pow(x,3))),x)),add(mul(0.134145,pow(x,2)),1)))),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2)))),mul(mul(mul(mul(mul(4,pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),4)),pow(add(mul(0.134145,pow(x,2)),1),2)),pow(sqrt(div(2,3.141592653589793)),4)),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),sub(neg(mul(0.134145,pow(x,3))),x))),mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2),add(mul(mul(pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),2),pow(sqrt(div(2,3.141592653589793)),3)),add(mul(mul(2,add(mul(0.134145,pow(x,2)),1)),sub(neg(mul(0.402435,pow(x,2))),1)),mul(0.53658,sub(neg(pow(x,2)),mul(0.134145,pow(x,4)))))),mul(mul(mul(1.07316,tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),pow(sqrt(div(2,3.141592653589793)),2)),x)))),sub(neg(mul(0.134145,pow(x,2))),1)),mul(0.5,add(add(mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),4),add(mul(add(mul(mul(1.07316,add(mul(0.134145,pow(x,3)),x)),pow(sqrt(div(2,3.141592653589793)),3)),mul(mul(mul(mul(8,pow(sqrt(div(2,3.141592653589793)),4)),sub(neg(mul(0.134145,pow(x,2))),1)),pow(add(mul(0.134145,pow(x,2)),1),2)),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))))),sub(neg(mul(0.134145,pow(x,3))),x)),mul(add(mul(mul(2,pow(add(mul(0.134145,pow(x,2)),1),2)),sub(neg(mul(0.402435,pow(x,2))),1)),mul(mul(0.53658,add(mul(0.134145,pow(x,2)),1)),sub(neg(pow(x,2)),mul(0.134145,pow(x,4))))),pow(sqrt(div(2,3.141592653589793)),3)))),mul(2,add(mul(mul(mul(pow(add(mul(0.134145,pow(x,2)),1),2),pow(sqrt(div(2,3.141592653589793)),3)),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),4)),sub(neg(mul(0.402435,pow(x,2))),1)),mul(mul(add(mul(mul(pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),2),pow(sqrt(div(2,3.141592653589793)),3)),add(mul(mul(2,sub(neg(mul(0.402435,pow(x,2))),1)),add(mul(0.134145,pow(x,2)),1)),mul(0.53658,sub(neg(pow(x,2)),mul(0.134145,pow(x,4)))))),mul(mul(mul(1.07316,tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),pow(sqrt(div(2,3.141592653589793)),2)),x)),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2)),sub(neg(mul(0.134145,pow(x,2))),1))))),mul(pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2),add(mul(1.07316,sqrt(div(2,3.141592653589793))),mul(mul(pow(sqrt(div(2,3.141592653589793)),2),sub(mul(0.53658,sub(neg(mul(0.9390149999999999,pow(x,3))),mul(3,x))),mul(1.60974,add(mul(0.134145,pow(x,3)),x)))),tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))))))))),mul(mul(mul(0.26829,add(mul(mul(mul(mul(2,pow(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),2)),pow(sqrt(div(2,3.141592653589793)),3)),sub(neg(mul(0.134145,pow(x,3))),x)),add(mul(0.134145,pow(x,2)),1)),mul(mul(tanh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3))))),pow(sqrt(div(2,3.141592653589793)),2)),add(mul(0.53658,pow(x,2)),2)))),pow(div(1,cosh(mul(sqrt(div(2,3.141592653589793)),add(x,mul(0.044715,pow(x,3)))))),2)),x))",
  ],
};
