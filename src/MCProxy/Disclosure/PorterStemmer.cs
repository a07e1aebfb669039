namespace MCProxy.Disclosure;

/// <summary>
/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), after the author's reference
/// implementation: "connection", "connected" and "connect" meet at "connect", "logging" and "log" at "log",
/// "recursively" and "recursive" at "recurs", "created" and "create" at "creat". Input: lower-case ASCII letters
/// (anything else is returned as it is).
/// </summary>
internal static class PorterStemmer
{
    public static string Stem(string word)
    {
        if (word.Length <= 2)
        {
            return word;
        }
        foreach (var c in word)
        {
            if (c is < 'a' or > 'z')
            {
                return word;
            }
        }
        var s = new State(word);
        s.Step1Ab();
        if (s.K > 0)
        {
            s.Step1C();
            s.Step2();
            s.Step3();
            s.Step4();
            s.Step5();
        }
        return new string(s.B, 0, s.K + 1);
    }

    /// <summary>b[0..k] is the word being stemmed; j marks the end of the stem a suffix test left.</summary>
    private sealed class State(string word)
    {
        public readonly char[] B = word.ToCharArray();
        public int K = word.Length - 1;
        private int _j;

        private bool Cons(int i) => B[i] switch
        {
            'a' or 'e' or 'i' or 'o' or 'u' => false,
            'y' => i == 0 || !Cons(i - 1),
            _ => true,
        };

        /// <summary>The number of consonant-vowel sequences in b[0..j]: [C](VC)^m[V].</summary>
        private int M()
        {
            var n = 0;
            var i = 0;
            while (true)
            {
                if (i > _j) return n;
                if (!Cons(i)) break;
                i++;
            }
            i++;
            while (true)
            {
                while (true)
                {
                    if (i > _j) return n;
                    if (Cons(i)) break;
                    i++;
                }
                i++;
                n++;
                while (true)
                {
                    if (i > _j) return n;
                    if (!Cons(i)) break;
                    i++;
                }
                i++;
            }
        }

        private bool VowelInStem()
        {
            for (var i = 0; i <= _j; i++)
            {
                if (!Cons(i)) return true;
            }
            return false;
        }

        private bool DoubleC(int j) => j >= 1 && B[j] == B[j - 1] && Cons(j);

        /// <summary>i-2, i-1, i is consonant-vowel-consonant and the last is not w, x or y (hop → hope, not snow).</summary>
        private bool Cvc(int i)
        {
            if (i < 2 || !Cons(i) || Cons(i - 1) || !Cons(i - 2)) return false;
            return B[i] is not ('w' or 'x' or 'y');
        }

        private bool Ends(string s)
        {
            var length = s.Length;
            if (length > K + 1) return false;
            for (var i = 0; i < length; i++)
            {
                if (B[K - length + 1 + i] != s[i]) return false;
            }
            _j = K - length;
            return true;
        }

        private void SetTo(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                B[_j + 1 + i] = s[i];
            }
            K = _j + s.Length;
        }

        private void R(string s)
        {
            if (M() > 0) SetTo(s);
        }

        public void Step1Ab()
        {
            if (B[K] == 's')
            {
                if (Ends("sses")) K -= 2;
                else if (Ends("ies")) SetTo("i");
                else if (B[K - 1] != 's') K--;
            }
            if (Ends("eed"))
            {
                if (M() > 0) K--;
            }
            else if ((Ends("ed") || Ends("ing")) && VowelInStem())
            {
                K = _j;
                if (Ends("at")) SetTo("ate");
                else if (Ends("bl")) SetTo("ble");
                else if (Ends("iz")) SetTo("ize");
                else if (DoubleC(K))
                {
                    K--;
                    if (B[K] is 'l' or 's' or 'z') K++;
                }
                else if (M() == 1 && Cvc(K))
                {
                    _j = K;
                    SetTo("e");
                }
            }
        }

        public void Step1C()
        {
            if (Ends("y") && VowelInStem()) B[K] = 'i';
        }

        public void Step2()
        {
            if (K < 1) return;
            switch (B[K - 1])
            {
                case 'a':
                    if (Ends("ational")) R("ate");
                    else if (Ends("tional")) R("tion");
                    break;
                case 'c':
                    if (Ends("enci")) R("ence");
                    else if (Ends("anci")) R("ance");
                    break;
                case 'e':
                    if (Ends("izer")) R("ize");
                    break;
                case 'l':
                    if (Ends("bli")) R("ble");
                    else if (Ends("alli")) R("al");
                    else if (Ends("entli")) R("ent");
                    else if (Ends("eli")) R("e");
                    else if (Ends("ousli")) R("ous");
                    break;
                case 'o':
                    if (Ends("ization")) R("ize");
                    else if (Ends("ation")) R("ate");
                    else if (Ends("ator")) R("ate");
                    break;
                case 's':
                    if (Ends("alism")) R("al");
                    else if (Ends("iveness")) R("ive");
                    else if (Ends("fulness")) R("ful");
                    else if (Ends("ousness")) R("ous");
                    break;
                case 't':
                    if (Ends("aliti")) R("al");
                    else if (Ends("iviti")) R("ive");
                    else if (Ends("biliti")) R("ble");
                    break;
                case 'g':
                    if (Ends("logi")) R("log");
                    break;
            }
        }

        public void Step3()
        {
            switch (B[K])
            {
                case 'e':
                    if (Ends("icate")) R("ic");
                    else if (Ends("ative")) R("");
                    else if (Ends("alize")) R("al");
                    break;
                case 'i':
                    if (Ends("iciti")) R("ic");
                    break;
                case 'l':
                    if (Ends("ical")) R("ic");
                    else if (Ends("ful")) R("");
                    break;
                case 's':
                    if (Ends("ness")) R("");
                    break;
            }
        }

        public void Step4()
        {
            if (K < 1) return;
            switch (B[K - 1])
            {
                case 'a':
                    if (!Ends("al")) return;
                    break;
                case 'c':
                    if (!Ends("ance") && !Ends("ence")) return;
                    break;
                case 'e':
                    if (!Ends("er")) return;
                    break;
                case 'i':
                    if (!Ends("ic")) return;
                    break;
                case 'l':
                    if (!Ends("able") && !Ends("ible")) return;
                    break;
                case 'n':
                    if (!Ends("ant") && !Ends("ement") && !Ends("ment") && !Ends("ent")) return;
                    break;
                case 'o':
                    if (Ends("ion") && _j >= 0 && B[_j] is 's' or 't') break;
                    if (!Ends("ou")) return;
                    break;
                case 's':
                    if (!Ends("ism")) return;
                    break;
                case 't':
                    if (!Ends("ate") && !Ends("iti")) return;
                    break;
                case 'u':
                    if (!Ends("ous")) return;
                    break;
                case 'v':
                    if (!Ends("ive")) return;
                    break;
                case 'z':
                    if (!Ends("ize")) return;
                    break;
                default:
                    return;
            }
            if (M() > 1) K = _j;
        }

        public void Step5()
        {
            _j = K;
            if (B[K] == 'e')
            {
                var a = M();
                if (a > 1 || (a == 1 && !Cvc(K - 1))) K--;
            }
            if (B[K] == 'l' && DoubleC(K) && M() > 1) K--;
        }
    }
}
