package check

// faceDerived are the rules whose measured values come from the face's keypoints:
// head angles, eye distance, eye and mouth states. Promise P3 keeps face data to one
// run, so these numbers may be shown to the user but never stored.
var faceDerived = map[string]bool{
	"face_size": true, "roll": true, "yaw": true, "pitch": true,
	"eyes_open": true, "mouth_closed": true,
}

// ForStorage is a copy of r fit to be kept after the run: the verdict, the allowed
// ranges and the fixes of every rule stay; the measured values of face-derived rules,
// and the messages that quote them, go (promise P3).
func (r *Report) ForStorage() *Report {
	out := &Report{Pass: r.Pass, Spec: r.Spec, Rules: make([]Result, len(r.Rules))}
	copy(out.Rules, r.Rules)
	for i := range out.Rules {
		x := &out.Rules[i]
		if faceDerived[x.ID] && !x.Skipped {
			x.Measured, x.Message, x.MessageZH = 0, "", ""
			x.Withheld = true
		}
	}
	return out
}
