## 한국어
## The command line (`--help`, the manual page). English needs no entries here: its
## texts are the doc comments of src/bin/mnist-tui/cli.rs, and a test checks that every
## flag and subcommand there has its Korean text below, and nothing more.

cli-about = CPU에서 MNIST로 CNN을 학습시키고, 터미널에서 지켜보며 조정합니다
    .long = CPU에서 MNIST로 합성곱 신경망을 학습시키고, 실시간으로 지켜보며 조정합니다.

        하위 명령 없이 실행하면 대시보드를 열고, 프로그램에 내장된 MNIST로 바로 학습을 시작합니다. 설정은 플래그, `--config FILE`, `./config.toml`, 내장 기본값(텐서플로 튜토리얼의 값) 순으로 정해집니다.

cli-train = 대시보드 없이 학습하며, 튜토리얼과 같은 줄을 표준 출력에 씁니다
cli-bench = 학습·추론 속도, 층별 시간(seed 모델), 최대 메모리를 잽니다. --train-limit가 없으면 학습 이미지 첫 10 000장으로 한 에포크를 잽니다
cli-lr-find = 학습률 찾기: 범위 시험(최대 100배치 동안 1e-7에서 10까지, 초기 가중치나 --resume FILE, --pretrained에서 시작)과 그 추천값을 출력합니다. 실행 자체는 학습하지 않습니다
cli-predict = 숫자 그림(PNG, JPEG, PGM; 크기 무관; 밝은 바탕에 어두운 글씨나 그 반대)을 체크포인트로 분류합니다(기본값: 내장된 사전 학습 모델)
cli-view = JSON-lines 지표 파일(`train --metrics run.jsonl`)로 대시보드를 읽기 전용으로 그립니다: 끝난 실행은 다시 보여 주고, 기록 중인 실행은 따라갑니다
cli-runs = DIR(기본값: 실행 디렉터리 ./runs)에 기록된 실행들을 작업 공간에서 봅니다: 정렬·필터할 수 있는 표, 표시한 실행들의 곡선 겹쳐 보기(진행 중인 실행은 실시간), 실행 열기·이어 하기·삭제
cli-sweep = 실행 격자를 학습시키고(각각 스윕 이름이 붙은 기록된 실행) 순위를 매깁니다. 터미널에서는 작업 공간이 시도들을 실시간으로 따라갑니다. 목록은 쉼표로 구분하고(`--lr 1e-3,3e-3`), 학습률 범위는 로그 간격입니다(`--lr 1e-4..1e-2:6`)
cli-plot = 기록된 실행들의 곡선을 축·제목·범례가 있는 그림으로 그립니다: 출력 파일의 확장자에 따라 PNG 또는 SVG
cli-completions = SHELL용 셸 자동 완성 스크립트를 출력합니다(예: `mnist-tui completions bash > ~/.local/share/bash-completion/completions/mnist-tui`)
cli-man = 매뉴얼 페이지를 출력합니다(roff; `mnist-tui man | man -l -`)
cli-help = 이 도움말 또는 하위 명령의 도움말을 출력합니다

cli-arg-model = 신경망: `seed`(mnist_cnn.py) 또는 `deep`(드롭아웃이 있는 합성곱 층 세 개)
cli-arg-lr = Adam 학습률
cli-arg-epochs = 학습 세트를 도는 횟수
cli-arg-batch_size = 학습 한 단계의 이미지 수
cli-arg-seed = 가중치 초기화와 에포크마다의 섞기에 쓰는 시드
cli-arg-data = 내장 MNIST 대신 쓸 IDX 파일(원본, .gz, .xz) 디렉터리
cli-arg-threads = 커널의 작업 스레드 수(기본값: 이 기계의 코어 수)
cli-arg-config = 이 TOML 파일에서 설정을 읽습니다(플래그가 우선합니다)
cli-arg-train_limit = 학습 이미지 중 처음 N장만 씁니다(빠른 실행용)
cli-arg-test_limit = 테스트 이미지 중 처음 N장만 씁니다(빠른 실행용)
cli-arg-labels = 열 개 클래스의 이름, 한 줄에 하나씩(숫자가 아닌 데이터 세트용)
cli-arg-save = 에포크가 끝날 때마다, 그리고 실행이 멈출 때 체크포인트를 FILE에 저장합니다(대시보드의 `s`도 여기에 씁니다. --save가 없으면 `s`는 ./mnist-tui-MODEL.safetensors에 씁니다)
cli-arg-checkpoint_dir = 에포크마다의 체크포인트를 DIR에 남깁니다(MODEL-epoch-NNN.safetensors)
cli-arg-resume = FILE에 저장된 실행을 이어 갑니다: 가중치, 옵티마이저 상태, 위치, 곡선
cli-arg-pretrained = 프로그램에 내장된 사전 학습 seed 모델에서 시작합니다
cli-arg-metrics = 배치 손실, 학습률, 에포크, 평가를 모두 FILE에 기록합니다(.csv, 다른 이름이면 JSON lines)
cli-arg-kernels = 합성곱 커널의 명령어 집합: auto(CPU가 가진 가장 넓은 것), avx512, avx2, portable
cli-arg-schedule = 실행 동안의 학습률 스케줄: constant(튜토리얼의 것), step(절반과 4분의 3 지점에서 ÷10), cosine, one-cycle. --lr이 기준값입니다
cli-arg-on_divergence = 손실이나 가중치가 유한하지 않게 되거나 손실이 폭주할 때 할 일 [기본값: pause]
cli-arg-runs_dir = 실행을 DIR 안의 폴더에 기록합니다(기본값: ./runs, 또는 설정의 `runs_dir`): `mnist-tui runs`를 위한 지표, 최신 체크포인트, 요약
cli-arg-no_record = 아무것도 기록하지 않습니다: 실행 디렉터리에 폴더를 만들지 않습니다
cli-arg-graphics = 대시보드와 `view`가 이미지를 그리는 방식: 터미널에 그래픽 프로토콜이 있으면 실제 픽셀(auto), 아니면 어디서나 반 블록
cli-arg-lang = 표시 언어: en 또는 ko(기본값: 설정의 `lang`, 그다음 로캘 LC_ALL, LC_MESSAGES, LANG)
cli-arg-help = 도움말을 출력합니다
cli-arg-version = 버전을 출력합니다

cli-bench-arg-compare = 보통의 보고서 대신: --threads의 에포크를 스레드 하나와(`threads`), 또는 CPU가 가진 명령어 집합들을(`kernels`) 연달아 도는 에포크 라운드로 비교합니다. 라운드마다와 시간 비율의 중앙값을 출력합니다
cli-bench-arg-rounds = --compare의 라운드 수
cli-lr-find-arg-json = 텍스트 대신 JSON 객체 하나(범위 시험과 추천값)
cli-predict-arg-checkpoint = 분류에 쓸 체크포인트(기본값: 내장된 사전 학습 seed 모델)
cli-predict-arg-json = 텍스트 대신 이미지마다 JSON 객체 하나를 표준 출력에
cli-predict-arg-images = 그림 파일, 하나에 숫자 하나
cli-view-arg-file = 지표 파일
cli-runs-arg-dir = 실행 디렉터리(기본값: 설정의 `runs_dir`, 또는 ./runs)
cli-runs-arg-list = 작업 공간을 여는 대신 표를 출력합니다
cli-runs-arg-json = --list와 함께: JSON 배열 하나, 항목마다 객체 하나
cli-runs-arg-csv = --list와 함께: CSV, 머리글 한 줄과 항목마다 한 줄(스프레드시트용)
cli-sweep-arg-lr = 학습률: `1e-4,1e-3,1e-2`, 또는 FROM..TO:N, 로그 간격의 학습률 N개(--random과 함께면 FROM..TO)
cli-sweep-arg-model = 신경망: `seed,deep`
cli-sweep-arg-schedule = 학습률 스케줄: `constant,cosine`
cli-sweep-arg-batch_size = 배치 크기: `50,100`
cli-sweep-arg-seed = 시드: `777,778`
cli-sweep-arg-repeats = 각 구성을 N번, 시드 SEED, SEED+1, …로(SEED: 설정의 시드)
cli-sweep-arg-random = 무작위 탐색: 구성 N개를 뽑습니다(학습률은 `--lr FROM..TO`에서 로그 균등으로, 또는 그 목록에서; 다른 옵션은 각자의 목록에서). 각각 모든 시드로
cli-sweep-arg-resume = 멈춘 스윕을 마칩니다: 그 매니페스트, 이름, 또는 실행 디렉터리(가장 최근 스윕). 끝난 시도는 그대로 두고, 나머지는 체크포인트에서 이어 갑니다
cli-sweep-arg-halving = 연속 반감: 모든 시도가 한 에포크를 학습하고, 나은 절반이 두 배의 에포크로 이어 가기를 반복합니다. 나머지는 멈추고 가지치기됨으로 기록됩니다
cli-sweep-arg-parallel = 나란히 학습하는 시도 수, 커널 스레드를 나눠 씁니다(기본값: 커널 스레드마다 하나, 시도마다 스레드 하나: 2코어에서 더 빠르게 측정됨)
cli-sweep-arg-json = 끝에 텍스트 대신 JSON 객체 하나(순위가 매겨진 시도들)
cli-sweep-arg-epochs = 각 시도의 에포크 수(반감 시도가 받는 최대치)
cli-sweep-arg-train_limit = 학습 이미지 중 처음 N장만 씁니다
cli-sweep-arg-test_limit = 테스트 이미지 중 처음 N장만 씁니다
cli-sweep-arg-data = 내장 MNIST 대신 쓸 IDX 파일 디렉터리
cli-sweep-arg-threads = 전체 커널 스레드 수(동시에 학습하는 시도들이 나눠 씁니다)
cli-sweep-arg-runs_dir = 시도들이 기록되는 곳(기본값: ./runs, 또는 설정의 `runs_dir`)
cli-plot-arg-runs = 실행: 그 폴더, 또는 실행 디렉터리 안의 이름
cli-plot-arg-group = 반복 실행(시드만 다르고 설정이 같은 실행)을 최소–최대 띠 안의 평균 곡선 하나로
cli-plot-arg-output = 쓸 그림: FILE.png 또는 FILE.svg
cli-plot-arg-metric = 그릴 것
cli-plot-arg-x = x축: 에포크, 또는 학습 시간(초)
cli-plot-arg-smoothing = 비용의 평활 가중치, 작업 공간과 같음(0: 없음, 최대 0.999)
cli-plot-arg-size = 그림 크기(픽셀)
cli-plot-arg-runs_dir = 실행 이름을 찾는 곳(기본값: ./runs, 또는 설정의 `runs_dir`)
cli-completions-arg-shell = 셸: bash, zsh, fish, elvish, powershell

## clap's own words around the texts above.
cli-usage = 사용법:
cli-options = 옵션
cli-arguments = 인자
cli-commands = 명령
cli-error = 오류
cli-see-help = --help 참조
cli-error-unknown-argument = 알 수 없는 인자 '{ $arg }'
cli-error-invalid-value = '{ $arg }'에 잘못된 값 '{ $value }'
cli-error-missing-value = '{ $arg }'에 값이 필요합니다
cli-error-missing-required = 필요한 인자가 없습니다: { $arg }
cli-error-unknown-command = 알 수 없는 하위 명령 '{ $arg }'
cli-error-conflict = '{ $arg }'는 '{ $other }'와 함께 쓸 수 없습니다
cli-error-once = '{ $arg }'는 한 번만 쓸 수 있습니다
cli-man-name = 이름
cli-man-synopsis = 개요
cli-man-description = 설명
cli-man-options = 옵션
cli-man-subcommands = 하위 명령
cli-man-version = 버전
cli-man-extra = 더 보기
