// The client's tokens on their own: numbers in order, and `settledBelow`, which moves past a write only once it
// and every write before it are settled, in whatever order they settle, however many are open at once.
import t from 'tap'
import { WriteTokens, type ClientToken } from '../../client/write-tokens.js'
import { seededRandom } from '../helpers/fuzz.js'

t.test('settledBelow moves past a write once it and all before it are settled, whatever the order', async (t) => {
  const tokens = new WriteTokens()
  const random = seededRandom(7)
  const open: ClientToken[] = []
  let issued = 0
  let checked = 0
  for (let step = 0; step < 200_000; step++) {
    // Up to 5000 writes open at once (the ring doubles from 64), settled in random order.
    if (open.length === 0 || (random() < 0.5 && open.length < 5000)) {
      open.push(tokens.next())
      issued++
    } else open.splice(Math.floor(random() * open.length), 1)[0]!.settled = true
    if (step % 97 !== 0) continue
    // The oldest open write; with none open, the number the next write will get.
    const expected = open.reduce((min, token) => Math.min(min, token.seq), issued + 1)
    t.equal(tokens.settledBelow(), expected, `step ${step}`)
    checked++
  }
  t.ok(checked > 2000)
  t.equal(new Set(open.map((token) => token.seq)).size, open.length, 'every seq once')
})

t.test('a write left open while a million later ones are sent is counted as settled: the ring stops growing', async (t) => {
  const tokens = new WriteTokens()
  const stuck = tokens.next()
  for (let i = 0; i < (1 << 20) + 10; i++) tokens.next().settled = true
  t.equal(stuck.settled, true, 'given up on')
  t.ok(tokens.settledBelow() > stuck.seq)
})
