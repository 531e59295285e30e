package decode
import ("testing";"math/rand/v2";"fmt")
func TestZZRandom(t *testing.T){
  r := rand.New(rand.NewPCG(1,2))
  counts := map[string]int{}
  examples := map[string][]byte{}
  for i := 0; i < 20000; i++ {
    n := 2 + r.IntN(300)
    b := make([]byte, n)
    for j := range b { b[j] = byte(r.Uint32()) }
    res := Decode(b, DefaultOptions())
    k := fmt.Sprint(res.Layers, res.Format)
    counts[k]++
    if examples[k] == nil { examples[k] = b }
  }
  for k, v := range counts { fmt.Println(k, v) }
  for k, v := range examples { if k != "[] binary" { fmt.Printf("%s %x\n", k, v) } }
}
