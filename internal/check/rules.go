package check

import (
	"fmt"
	"math"

	"github.com/idphoto/idphoto/internal/spec"
)

// rule is one row of the table: what is measured, where it must fall, and what to
// tell the user when it does not.
type rule struct {
	id, name, nameZH string
	unit             string
	prec             int    // decimals shown
	severity         string // on a miss of allowed
	// measure returns the value, or a reason it can't be measured on this photo.
	measure func(*evaluation) (float64, *reason)
	// allowed is the passing range; false when the rule does not apply to the spec.
	allowed func(*evaluation) (Bounds, bool)
	// block, when set, is the range beyond which a warn rule's miss blocks.
	block func(*evaluation) Bounds
	// sev, when set, overrides severity for the spec (a band that only warns).
	sev func(*evaluation) string
	// fail words a miss.
	fail func(v float64, a Bounds, ev *evaluation) msg
	// slack widens allowed when judging, not when shown (rounding to pixels).
	slack float64
}

// msg is what the user reads about a miss: what is wrong (with the number) and
// what to do.
type msg struct{ en, zh, fix, fixZH string }

// reason says why a rule could not be measured.
type reason struct{ en, zh string }

var (
	noFace   = &reason{"not measured: no single face found", "未测量：没有找到唯一的人脸"}
	noMatte  = &reason{"not measured: the person was not separated from the background", "未测量：未能把人像与背景分开"}
	noLayout = &reason{"not measured: the head could not be placed in the photo", "未测量：无法在照片中摆放头部"}
	noPhoto  = &reason{"not measured: the photo was not made", "未测量：照片未生成"}
	tooSmall = &reason{"not measured: the region is too small or outside the photo", "未测量：区域太小或超出照片"}
	blurred  = &reason{"not measured: the face is too blurred to place its features (see sharpness)", "未测量：面部太模糊，无法定位五官（见清晰度）"}
)

func (r rule) evaluate(ev *evaluation) (Result, bool) {
	a, ok := r.allowed(ev)
	if !ok {
		return Result{}, false
	}
	res := Result{ID: r.id, Name: r.name, NameZH: r.nameZH, Unit: r.unit, Allowed: a, Severity: r.severity, prec: r.prec}
	if r.sev != nil {
		res.Severity = r.sev(ev)
	}
	var hard *Bounds
	if r.block != nil {
		b := r.block(ev)
		hard = &b
		res.BlockOutside = hard
	}
	v, why := r.measure(ev)
	if why != nil {
		res.Pass, res.Skipped = true, true
		res.Message, res.MessageZH = why.en, why.zh
		return res, true
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		res.Pass, res.Skipped = true, true
		res.Message, res.MessageZH = tooSmall.en, tooSmall.zh
		return res, true
	}
	res.Measured = v
	res.Pass = Bounds{a.Min - r.slack, a.Max + r.slack}.Contains(v)
	if res.Pass {
		return res, true
	}
	if hard != nil && !hard.Contains(v) {
		res.Severity = Block
	}
	m := r.fail(v, a, ev)
	res.Message, res.MessageZH, res.Fix, res.FixZH = m.en, m.zh, m.fix, m.fixZH
	return res, true
}

// Rule describes one rule of the table, for documentation and the service.
type Rule struct {
	ID, Name, NameZH, Unit, Severity string
}

// Rules lists the table's rules in report order.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule{ID: r.id, Name: r.name, NameZH: r.nameZH, Unit: r.unit, Severity: r.severity}
	}
	return out
}

// Limits. The angles follow ISO/IEC 19794-5 (pose within 5° for yaw and pitch, 8° for
// roll in its best practice) loosened to what the landmarks can tell apart; the
// rest are calibrated on the real portraits in testdata (internal/pipeline/check_test.go) with
// room for faces and lighting unlike theirs.
const (
	icaoEyePx = 90.0 // ICAO 9303 digital reference image: ≥ 90 px between the eye centres

	rollWarn = 5.0 // degrees; straightened by the pipeline, but the shoulders stay tilted
	yawWarn  = 10.0
	yawBlock = 25.0
	// Pitch from the eye-nose-mouth ratio is the noisiest of the three (the nose
	// point wanders by 0.05 of the eye-to-mouth distance between portraits, which
	// reads as 10°): it only warns.
	pitchWarn = 15.0

	eyeOpenMin  = 8.0  // % of the eye distance
	mouthOpen   = 20.0 // % of the mouth region darker than half the skin
	exposureLo  = 70.0 // face mean luma, 0-255
	exposureHi  = 205.0
	exposureLo2 = 45.0
	exposureHi2 = 230.0
	balanceMin  = 0.7 // darker half / lighter half
	balanceMin2 = 0.6
	rangeMin    = 1.2 // stops between the face's 2nd and 98th percentiles
	blurMax     = 5.0 // blur width, % of the eye distance
	blurMax2    = 8.0
	matteMin    = 0.8 // share of the inner face the matte keeps
	blockMax    = 1.6 // JPEG blockiness
	blockMax2   = 2.2
	bgSpreadSrc = 14.0 // mean ΔE from the backdrop's median colour
	bgSpreadOut = 3.0
	crownRoom   = 0.5 // % of the head height above the crown inside the photo
	// faceSizeSlack allows for the pupils' localisation, a pixel or two each.
	faceSizeSlack = 0.95
)

// Skin colour ranges in CIELAB (D65), wide enough for every skin under daylight
// (published skin-colour surveys put a* at about 5-25 and b* at 5-30) and narrow
// enough to catch a strong colour cast or a grey photo.
var (
	skinA = Bounds{4, 30}
	skinB = Bounds{4, 35}
)

// Head-pose model. The keypoints are the eye centres E (distance d), the nose tip N
// and the mouth centre M, in the head frame (u along the eye line, v down).
//
// Yaw: a turn by θ moves the nose tip, which stands depthNose·d in front of the
// eyes, sideways by depthNose·d·sin θ while the eye distance shrinks by cos θ, so
// tan θ = (N.u / d) / depthNose. Adult norms put the tip 30-35 mm in front of the
// pupils, which are 60-65 mm apart: depthNose ≈ 0.5.
//
// Pitch: tilting the head back by φ (chin up) moves every point up by its depth
// times sin φ, so the ratio r = N.v / M.v falls: with the nose tip and the mouth at
// depths a and b (in eye-to-mouth units) in front of the eyes,
// tan φ = (r0 − r) / (a − b·r). Norms: tip 35 mm and lips 68 mm below the pupils,
// 32 mm and 20 mm in front of them, so a ≈ 0.47, b ≈ 0.29; r0 is the ratio of an
// upright face, calibrated on the portraits (BlazeFace's and pigo's nose points sit
// close enough on them that one value serves both).
const (
	depthNose  = 0.5
	pitchA     = 0.47
	pitchB     = 0.29
	pitchRatio = 0.62
)

func (ev *evaluation) yaw() float64 {
	return math.Atan(ev.noseU/ev.ed/depthNose) * 180 / math.Pi
}

func (ev *evaluation) pitch() float64 {
	r := ev.noseV / ev.mouthV
	return math.Atan((pitchRatio-r)/(pitchA-pitchB*r)) * 180 / math.Pi
}

func always(b Bounds) func(*evaluation) (Bounds, bool) {
	return func(*evaluation) (Bounds, bool) { return b, true }
}

func fixed(b Bounds) func(*evaluation) Bounds { return func(*evaluation) Bounds { return b } }

// faceMeasure wraps a measure that needs the face.
func faceMeasure(f func(*evaluation) (float64, bool)) func(*evaluation) (float64, *reason) {
	return func(ev *evaluation) (float64, *reason) {
		if !ev.hasFace {
			return 0, noFace
		}
		v, ok := f(ev)
		if !ok {
			return 0, tooSmall
		}
		return v, nil
	}
}

// poseMeasure wraps a measure of the head's pose: on a face blurred past the sharpness
// rule's blocking limit the detectors' nose and mouth points wander by degrees of
// pose, so the pose is not reported at all rather than reported wrong; the sharpness
// rule says what to fix.
func poseMeasure(f func(*evaluation) (float64, bool)) func(*evaluation) (float64, *reason) {
	face := faceMeasure(f)
	return func(ev *evaluation) (float64, *reason) {
		if g := ev.usableGrid(); ev.hasFace && g != nil {
			if s, ok := g.sharpness(ev.ed); ok && s > blurMax2 {
				return 0, blurred
			}
		}
		return face(ev)
	}
}

// gridMeasure wraps a measure on the face grid.
func gridMeasure(f func(*evaluation, *faceGrid) (float64, bool)) func(*evaluation) (float64, *reason) {
	return faceMeasure(func(ev *evaluation) (float64, bool) {
		g := ev.usableGrid()
		if g == nil {
			return 0, false
		}
		return f(ev, g)
	})
}

func skinMeasure(f func(lab) float64) func(*evaluation) (float64, *reason) {
	return faceMeasure(func(ev *evaluation) (float64, bool) {
		s := ev.skinColour()
		if s == nil {
			return 0, false
		}
		return f(*s), true
	})
}

// side names the side of the photo a signed value points to: negative is the
// photo's left, which is the subject's right.
func side(v float64) (photo, photoZH, own, ownZH string) {
	if v < 0 {
		return "left", "左", "right", "右"
	}
	return "right", "右", "left", "左"
}

// rules is the table, in report order.
var rules = []rule{
	{
		id: "one_face", name: "exactly one face", nameZH: "仅一张人脸", severity: Block,
		measure: func(ev *evaluation) (float64, *reason) { return float64(len(ev.in.Faces)), nil },
		allowed: always(Bounds{1, 1}),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			if v == 0 {
				return msg{"no face was found in the photo", "照片中没有找到人脸",
					"take the photo facing the camera, your whole face visible and well lit", "正对镜头拍摄，露出完整面部，光线充足"}
			}
			return msg{fmt.Sprintf("%.0f faces were found; an ID photo shows one person", v), fmt.Sprintf("照片中有 %.0f 张人脸；证件照只能有一个人", v),
				"take the photo of yourself alone, with no one else (and no posters or photos of faces) behind you", "单独拍摄，身后不要有其他人或带人脸的海报、照片"}
		},
	},
	{
		id: "face_size", name: "face resolution (eye distance)", nameZH: "面部分辨率（两眼间距）", unit: " px", severity: Warn,
		// The eye distance the finished photo really resolves: its own, or the
		// source's when the face was enlarged. ICAO asks for 90 px; a spec too small
		// for that asks for no enlargement.
		measure: faceMeasure(func(ev *evaluation) (float64, bool) {
			p := ev.in.Placement
			if p == nil {
				return 0, false
			}
			return min(ev.ed, ev.ed*p.Scale), true
		}),
		allowed: func(ev *evaluation) (Bounds, bool) { return AtLeast(ev.faceSizeNeed()), true },
		block:   func(ev *evaluation) Bounds { return AtLeast(ev.faceSizeNeed() / 2) },
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("your face is small in this photo: %.0f px between the eyes, the ID photo needs %.0f, so it will look soft", v, a.Min),
				fmt.Sprintf("照片中的脸太小：两眼间距 %.0f 像素，证件照需要 %.0f，成片会发虚", v, a.Min),
				"move closer to the camera or use a higher resolution", "靠近镜头拍摄，或使用更高的分辨率"}
		},
	},
	{
		id: "roll", name: "head tilt (roll)", nameZH: "头部侧倾", unit: "°", prec: 1, severity: Warn,
		measure: faceMeasure(func(ev *evaluation) (float64, bool) { return ev.in.Face.Roll(), true }),
		allowed: always(Within(rollWarn)),
		block: func(ev *evaluation) Bounds {
			m := ev.in.MaxRoll
			if m <= 0 {
				m = 30
			}
			return Within(m)
		},
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			// positive roll: the right-hand eye lower, the head leaning to the photo's
			// right, which is the subject's own left
			photo, photoZH, own, ownZH := side(v)
			return msg{fmt.Sprintf("your head is tilted %.0f° to your %s (to the %s in the photo)", math.Abs(v), own, photo),
				fmt.Sprintf("头部向你的%s侧倾斜了 %.0f°（照片中向%s）", ownZH, math.Abs(v), photoZH),
				"hold your head upright, eyes level", "保持头部端正，双眼水平"}
		},
	},
	{
		id: "yaw", name: "head turn (yaw)", nameZH: "头部左右转动", unit: "°", prec: 1, severity: Warn,
		measure: poseMeasure(func(ev *evaluation) (float64, bool) { return ev.yaw(), true }),
		allowed: always(Within(yawWarn)),
		block:   fixed(Within(yawBlock)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			photo, photoZH, own, ownZH := side(v)
			return msg{fmt.Sprintf("your head is turned %.0f° to your %s (to the %s in the photo)", math.Abs(v), own, photo),
				fmt.Sprintf("头部向你的%s侧转了 %.0f°（照片中向%s）", ownZH, math.Abs(v), photoZH),
				"face the camera squarely, nose pointing at the lens", "正面对准镜头，鼻尖朝向镜头"}
		},
	},
	{
		id: "pitch", name: "head nod (pitch)", nameZH: "头部俯仰", unit: "°", prec: 1, severity: Warn,
		measure: poseMeasure(func(ev *evaluation) (float64, bool) {
			if !(ev.mouthV > 0.4*ev.ed) || !(ev.noseV > 0) {
				return 0, false
			}
			return ev.pitch(), true
		}),
		allowed: always(Within(pitchWarn)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			if v > 0 {
				return msg{fmt.Sprintf("your chin is raised about %.0f°", v), fmt.Sprintf("下巴抬起了约 %.0f°", v),
					"lower your chin a little; the camera at eye height", "稍微收下巴，镜头与眼睛同高"}
			}
			return msg{fmt.Sprintf("your head is bowed about %.0f°", -v), fmt.Sprintf("头部低下了约 %.0f°", -v),
				"raise your chin a little; the camera at eye height", "稍微抬头，镜头与眼睛同高"}
		},
	},
	{
		// A heuristic on the eye's vertical luminance profile: reliable on a well-lit
		// face, fooled by heavy glasses frames and deep shadows, hence a warning.
		id: "eyes_open", name: "eyes open", nameZH: "睁眼", unit: "%", severity: Warn,
		measure: gridMeasure(func(ev *evaluation, g *faceGrid) (float64, bool) {
			l, ok1 := g.eyeOpening(ev.ed, -0.5*ev.ed)
			r, ok2 := g.eyeOpening(ev.ed, 0.5*ev.ed)
			if !ok1 || !ok2 {
				return 0, false
			}
			return min(l, r), true
		}),
		allowed: always(AtLeast(eyeOpenMin)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("your eyes look closed or half closed (opening %.0f%% of the eye distance)", v),
				fmt.Sprintf("眼睛似乎闭着或半闭（睁开高度为两眼间距的 %.0f%%）", v),
				"look into the lens with your eyes open; take off tinted glasses and keep hair off the eyes", "睁大眼睛看镜头；摘下有色眼镜，头发不要遮住眼睛"}
		},
	},
	{
		// Dark pixels between the lips: an open mouth or a broad smile. A heuristic
		// (a dark moustache reads the same), hence a warning.
		id: "mouth_closed", name: "mouth closed, neutral", nameZH: "闭嘴、表情自然", unit: "%", severity: Warn,
		measure: gridMeasure(func(ev *evaluation, g *faceGrid) (float64, bool) {
			return g.mouthDark(ev.ed, ev.mouthU, ev.mouthV)
		}),
		allowed: always(AtMost(mouthOpen)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("your mouth looks open (%.0f%% of the mouth region is dark)", v),
				fmt.Sprintf("嘴巴似乎张开（嘴部 %.0f%% 的区域偏暗）", v),
				"close your mouth and keep a neutral expression", "闭上嘴，保持自然表情"}
		},
	},
	{
		id: "exposure", name: "face brightness", nameZH: "面部亮度", unit: "/255", severity: Warn,
		measure: gridMeasure(func(_ *evaluation, g *faceGrid) (float64, bool) { return g.mean, true }),
		allowed: always(Bounds{exposureLo, exposureHi}),
		block:   fixed(Bounds{exposureLo2, exposureHi2}),
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			if v < a.Min {
				return msg{fmt.Sprintf("your face is too dark (brightness %.0f of 255)", v), fmt.Sprintf("面部太暗（亮度 %.0f/255）", v),
					"add light in front of you: face a window or a lamp", "增加正面光线：面向窗户或灯光"}
			}
			return msg{fmt.Sprintf("your face is too bright, details are lost (brightness %.0f of 255)", v), fmt.Sprintf("面部过亮，细节丢失（亮度 %.0f/255）", v),
				"avoid direct sun and the flash; use soft, even light", "避免阳光直射和闪光灯，使用柔和均匀的光线"}
		},
	},
	{
		id: "lighting_balance", name: "even lighting (left/right)", nameZH: "左右光线均匀", prec: 2, severity: Warn,
		measure: gridMeasure(func(_ *evaluation, g *faceGrid) (float64, bool) {
			if g.leftMean <= 0 || g.rightMn <= 0 {
				return 0, false
			}
			return min(g.leftMean, g.rightMn) / max(g.leftMean, g.rightMn), true
		}),
		allowed: always(AtLeast(balanceMin)),
		block:   fixed(AtLeast(balanceMin2)),
		fail: func(v float64, _ Bounds, ev *evaluation) msg {
			g := ev.grid
			dark, darkZH := "left", "左"
			if g.rightMn < g.leftMean {
				dark, darkZH = "right", "右"
			}
			return msg{fmt.Sprintf("the %s half of your face (in the photo) is much darker: %.0f%% of the other half", dark, 100*v),
				fmt.Sprintf("照片中你%s半边脸明显偏暗：只有另一半亮度的 %.0f%%", darkZH, 100*v),
				"face the light so both cheeks are lit the same", "正对光源，让两侧脸颊光线一致"}
		},
	},
	{
		// The spread of the face's tones, in stops, between its 2nd and 98th
		// percentiles. A ratio, so a dark but contrasty face passes; a hazy,
		// washed-out or flat face fails.
		id: "dynamic_range", name: "face contrast (dynamic range)", nameZH: "面部层次（动态范围）", unit: " stops", prec: 1, severity: Warn,
		measure: gridMeasure(func(_ *evaluation, g *faceGrid) (float64, bool) {
			return math.Log2((g.p98 + 1) / (g.p2 + 1)), true
		}),
		allowed: always(AtLeast(rangeMin)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("your face looks flat and washed out (only %.1f stops from shadow to highlight)", v),
				fmt.Sprintf("面部发灰、缺少层次（明暗只差 %.1f 档）", v),
				"clean the lens, avoid haze and backlight, and light your face from the front", "擦净镜头，避免雾气和逆光，从正面照亮面部"}
		},
	},
	{
		id: "sharpness", name: "sharpness", nameZH: "清晰度", unit: "%", prec: 1, severity: Warn,
		measure: gridMeasure(func(ev *evaluation, g *faceGrid) (float64, bool) { return g.sharpness(ev.ed) }),
		allowed: always(AtMost(blurMax)),
		block:   fixed(AtMost(blurMax2)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the photo is blurred (edges %.1f%% of the eye distance wide)", v),
				fmt.Sprintf("照片模糊（边缘宽度为两眼间距的 %.1f%%）", v),
				"hold the camera still, focus on the eyes, and use more light", "拿稳相机，对焦在眼睛上，增加光线"}
		},
	},
	{
		id: "compression", name: "JPEG compression artefacts", nameZH: "压缩失真", prec: 2, severity: Warn,
		measure: faceMeasure(func(ev *evaluation) (float64, bool) { return ev.blockiness() }),
		allowed: always(AtMost(blockMax)),
		block:   fixed(AtMost(blockMax2)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the photo is heavily compressed: JPEG blocks show (blockiness %.1f)", v),
				fmt.Sprintf("照片压缩过度，出现 JPEG 方块（方块度 %.1f）", v),
				"upload the original photo from the camera, not one sent through a chat app or a screenshot", "上传相机拍摄的原图，不要用聊天软件转发过的图片或截图"}
		},
	},
	{
		id: "skin_a", name: "skin colour, red-green (a*)", nameZH: "肤色（红绿 a*）", prec: 1, severity: Warn,
		measure: skinMeasure(func(c lab) float64 { return c.A }),
		allowed: always(skinA),
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			if v < a.Min {
				return msg{fmt.Sprintf("skin looks grey or greenish (a* = %.0f): the colours are off", v), fmt.Sprintf("肤色发灰或偏绿（a* = %.0f），颜色失真", v),
					"take a colour photo in daylight or white light; no filters", "在日光或白光下拍摄彩色照片，不要用滤镜"}
			}
			return msg{fmt.Sprintf("skin looks too red (a* = %.0f): the colours are off", v), fmt.Sprintf("肤色过红（a* = %.0f），颜色失真", v),
				"take the photo in daylight or white light; no filters or beauty modes", "在日光或白光下拍摄，不要用滤镜或美颜"}
		},
	},
	{
		id: "skin_b", name: "skin colour, yellow-blue (b*)", nameZH: "肤色（黄蓝 b*）", prec: 1, severity: Warn,
		measure: skinMeasure(func(c lab) float64 { return c.B }),
		allowed: always(skinB),
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			if v < a.Min {
				return msg{fmt.Sprintf("skin looks grey or bluish (b* = %.0f): the colours are off", v), fmt.Sprintf("肤色发灰或偏蓝（b* = %.0f），颜色失真", v),
					"take a colour photo in daylight or white light; no filters", "在日光或白光下拍摄彩色照片，不要用滤镜"}
			}
			return msg{fmt.Sprintf("skin looks too yellow or orange (b* = %.0f): the light is too warm", v), fmt.Sprintf("肤色过黄（b* = %.0f），光线偏暖", v),
				"take the photo in daylight instead of under warm lamps", "在日光下拍摄，避免暖色灯光"}
		},
	},
	{
		// The matte must hold the face: where it doesn't, the ID photo loses
		// part of the person (seen on strongly blurred photos).
		id: "matte_face", name: "person separated from the background", nameZH: "人像与背景分离", unit: "%", severity: Block,
		measure: func(ev *evaluation) (float64, *reason) {
			if !ev.hasFace {
				return 0, noFace
			}
			if ev.in.Alpha == nil {
				return 0, noMatte
			}
			g := ev.faceGrid()
			if g == nil || g.n < minGridCells {
				return 0, tooSmall
			}
			return 100 * g.matteCover, nil
		},
		allowed: always(AtLeast(100 * matteMin)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("only %.0f%% of your face was told apart from the background: the ID photo would lose part of you", v),
				fmt.Sprintf("只有 %.0f%% 的面部与背景分开，证件照会缺失部分人像", v),
				"take a sharp photo in front of a plain wall that contrasts with your hair and clothes", "在与头发、衣服颜色反差明显的纯色墙前拍一张清晰的照片"}
		},
	},
	{
		id: "background_source", name: "background behind you", nameZH: "拍摄背景", unit: " ΔE", prec: 1, severity: Warn,
		measure: func(ev *evaluation) (float64, *reason) {
			if ev.in.Alpha == nil {
				return 0, noMatte
			}
			v, ok := ev.backgroundSpread()
			if !ok {
				return 0, tooSmall
			}
			return v, nil
		},
		allowed: always(AtMost(bgSpreadSrc)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the background behind you is busy (colour spread ΔE %.0f): hair edges may come out wrong", v),
				fmt.Sprintf("身后背景杂乱（色差 ΔE %.0f），头发边缘可能处理不好", v),
				"stand in front of a plain light wall", "站在纯色浅色墙前拍摄"}
		},
	},
	{
		id: "background_result", name: "background of the ID photo", nameZH: "证件照背景", unit: " ΔE", prec: 1, severity: Warn,
		measure: func(ev *evaluation) (float64, *reason) {
			switch {
			case ev.in.Photo == nil:
				return 0, noPhoto
			case ev.in.Alpha == nil:
				return 0, noMatte
			}
			v, ok := ev.resultBackgroundSpread()
			if !ok {
				return 0, tooSmall
			}
			return v, nil
		},
		allowed: always(AtMost(bgSpreadOut)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the ID photo's background is not one even colour (spread ΔE %.1f)", v),
				fmt.Sprintf("证件照背景颜色不均匀（色差 ΔE %.1f）", v),
				"choose a plain background colour, not a gradient", "选择纯色背景，不要用渐变"}
		},
	},
	{
		// The backdrop is replaced, so the photo's margin above the hair needs no
		// source pixels; what must be in the source is the hair itself. A crown at
		// the photo's edge means the head is cut off.
		id: "crown_room", name: "room above the head", nameZH: "头顶留白", unit: "%", prec: 1, severity: Block,
		measure: func(ev *evaluation) (float64, *reason) {
			h := ev.in.Head
			if !ev.hasFace || !(h.CrownUp > 0) || !(h.ChinDown > 0) {
				return 0, noFace
			}
			r := h.Roll * math.Pi / 180
			ux, uy := math.Sin(r), -math.Cos(r)
			x, y := h.EyeMid.X+h.CrownUp*ux, h.EyeMid.Y+h.CrownUp*uy
			return 100 * room(ev.in.Source.Rect, x, y, ux, uy) / (h.CrownUp + h.ChinDown), nil
		},
		allowed: always(AtLeast(crownRoom)),
		fail: func(v float64, _ Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the top of your head is cut off by the photo's edge (%.0f%% of the head's height to spare)", v),
				fmt.Sprintf("头顶被照片边缘裁掉（头顶上方只留出头高的 %.0f%%）", v),
				"step back or hold the camera higher so your whole head and some space above it are in the photo", "后退一点或把镜头举高，让整个头部和上方留白都在画面里"}
		},
	},
	{
		// Below the chin the ID photo shows the neck and shoulders from the source:
		// where the source ends above the photo's bottom edge, the body ends in a
		// straight cut.
		id: "chin_room", name: "room below the chin", nameZH: "下巴下方空间", unit: "%", severity: Warn,
		measure: func(ev *evaluation) (float64, *reason) {
			h := ev.in.Head
			if !ev.hasFace || !(h.CrownUp > 0) || !(h.ChinDown > 0) {
				return 0, noFace
			}
			r := h.Roll * math.Pi / 180
			dx, dy := -math.Sin(r), math.Cos(r)
			x, y := h.EyeMid.X+h.ChinDown*dx, h.EyeMid.Y+h.ChinDown*dy
			return 100 * room(ev.in.Source.Rect, x, y, dx, dy) / (h.CrownUp + h.ChinDown), nil
		},
		allowed: func(ev *evaluation) (Bounds, bool) {
			p := ev.in.Placement
			if p == nil || !(p.Layout.Height > 0) {
				return AtLeast(0), true
			}
			// what the photo shows below the chin, in head heights
			return AtLeast(math.Floor(100 * max(0, p.Layout.ChinFromBottom) / p.Layout.Height)), true
		},
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the photo ends too close below your chin (%.0f%% of the head's height; the ID photo shows %.0f%%)", v, a.Min),
				fmt.Sprintf("照片在下巴下方留得太少（头高的 %.0f%%，证件照需要 %.0f%%）", v, a.Min),
				"step back so your neck and shoulders are in the photo", "后退一点，让脖子和肩膀入镜"}
		},
	},
	layoutRule("head_height", "head height", "头部高度", func(h spec.Head) spec.Range { return h.Height }, true,
		func(l layoutValues) float64 { return l.Height }, "tall hair or a hat: wear your hair flat, no hat", "头发过高或戴帽：把头发压平，不要戴帽子"),
	layoutRule("crown_top", "space above the head", "头顶到上边距", func(h spec.Head) spec.Range { return h.CrownTop }, true,
		func(l layoutValues) float64 { return l.CrownTop }, "tall hair or a hat: wear your hair flat, no hat", "头发过高或戴帽：把头发压平，不要戴帽子"),
	layoutRule("eye_line", "eye line from the bottom", "眼睛到下边距", func(h spec.Head) spec.Range { return h.EyeFromBottom }, false,
		func(l layoutValues) float64 { return l.EyeFromBottom }, "the head's proportions don't fit this spec: keep your chin level and your hair flat", "头部比例不符合此规格：保持下巴水平，头发压平"),
	layoutRule("chin_bottom", "space below the chin", "下巴到下边距", func(h spec.Head) spec.Range { return h.ChinFromBottom }, false,
		func(l layoutValues) float64 { return l.ChinFromBottom }, "keep your chin level and your hair flat", "保持下巴水平，头发压平"),
	layoutRule("face_width", "face width", "脸宽", func(h spec.Head) spec.Range { return h.FaceWidth }, false,
		func(l layoutValues) float64 { return l.FaceWidth }, "face the camera squarely; keep hair off your cheeks", "正对镜头，头发不要遮住脸颊"),
	layoutRule("centre", "face centred", "面部居中", func(h spec.Head) spec.Range { return h.CenterX }, false,
		func(l layoutValues) float64 { return l.CenterX }, "stand in the middle of the frame, facing the camera", "站在画面中间，正对镜头"),
	{
		id: "file_size", name: "file size", nameZH: "文件大小", unit: " KB", prec: 1, severity: Block,
		measure: func(ev *evaluation) (float64, *reason) {
			if ev.in.File == nil {
				return 0, noPhoto
			}
			return float64(len(ev.in.File)) / 1024, nil
		},
		allowed: func(ev *evaluation) (Bounds, bool) {
			s := ev.in.Spec
			if s.MinKB <= 0 && s.MaxKB <= 0 {
				return Bounds{}, false
			}
			b := AtLeast(float64(s.MinKB))
			if s.MaxKB > 0 {
				b.Max = float64(s.MaxKB)
			}
			return b, true
		},
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the file is %.1f KB, outside the %s the spec allows", v, a.Format(" KB", 0)),
				fmt.Sprintf("文件大小 %.1f KB，不在规格要求的 %s 内", v, a.Format(" KB", 0)),
				"a photo with less fine detail (plain clothes, plain background) compresses into the range", "穿纯色衣服、用纯色背景，照片更容易压缩到要求的大小"}
		},
	},
	pixelRule("pixel_width", "width", "宽度", func(s spec.Spec) int { return s.WidthPx }, func(r rectSize) int { return r.w }),
	pixelRule("pixel_height", "height", "高度", func(s spec.Spec) int { return s.HeightPx }, func(r rectSize) int { return r.h }),
}

func (ev *evaluation) faceSizeNeed() float64 {
	p := ev.in.Placement
	if p == nil || !ev.hasFace {
		return icaoEyePx
	}
	return math.Floor(faceSizeSlack * min(icaoEyePx, ev.ed*p.Scale))
}

// layoutValues are the finished photo's head bands (geometry.Layout), as fractions.
type layoutValues struct {
	CrownTop, Height, EyeFromBottom, ChinFromBottom, FaceWidth, CenterX float64
}

// layoutRule checks one of the spec's head bands on the placement, in percent of the
// photo. Bands that include the hair (crown, head height) only warn on a spec whose
// eye rule wins: there the hair may be cut (GA 461).
func layoutRule(id, name, nameZH string, band func(spec.Head) spec.Range, hair bool, value func(layoutValues) float64, fix, fixZH string) rule {
	return rule{
		id: id, name: name, nameZH: nameZH, unit: "%", prec: 1, severity: Block,
		measure: func(ev *evaluation) (float64, *reason) {
			p := ev.in.Placement
			if p == nil {
				return 0, noLayout
			}
			l := p.Layout
			return 100 * value(layoutValues{l.CrownTop, l.Height, l.EyeFromBottom, l.ChinFromBottom, l.FaceWidth, l.CenterX}), nil
		},
		allowed: func(ev *evaluation) (Bounds, bool) {
			r := band(ev.in.Spec.Head)
			if !r.Set() {
				return Bounds{}, false
			}
			return Bounds{100 * r.Min, 100 * r.Max}, true
		},
		// a tenth of a percent absorbs rounding to whole pixels, as
		// geometry.Misses does
		slack: 0.1,
		sev: func(ev *evaluation) string {
			if hair && ev.in.Spec.Head.EyeWins {
				return Warn
			}
			return Block
		},
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("%s would be %.1f%% of the photo, outside the spec's %.1f-%.1f%%", name, v, a.Min, a.Max),
				fmt.Sprintf("%s为照片的 %.1f%%，超出规格要求的 %.1f-%.1f%%", nameZH, v, a.Min, a.Max),
				fix, fixZH}
		},
	}
}

type rectSize struct{ w, h int }

func pixelRule(id, name, nameZH string, want func(spec.Spec) int, got func(rectSize) int) rule {
	return rule{
		id: id, name: "pixel " + name, nameZH: "像素" + nameZH, unit: " px", severity: Block,
		measure: func(ev *evaluation) (float64, *reason) {
			if ev.in.Photo == nil {
				return 0, noPhoto
			}
			b := ev.in.Photo.Rect
			return float64(got(rectSize{b.Dx(), b.Dy()})), nil
		},
		allowed: func(ev *evaluation) (Bounds, bool) {
			n := float64(want(ev.in.Spec))
			return Bounds{n, n}, n > 0
		},
		fail: func(v float64, a Bounds, _ *evaluation) msg {
			return msg{fmt.Sprintf("the photo's %s is %.0f px; the spec asks for %.0f", name, v, a.Min),
				fmt.Sprintf("照片%s为 %.0f 像素，规格要求 %.0f", nameZH, v, a.Min),
				"make the photo again with this spec", "按此规格重新生成照片"}
		},
	}
}
