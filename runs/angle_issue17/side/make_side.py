# issue 17: the three equal-budget backbones side by side with one tracking section
# copies of each equal-budget run's best.pt with the shipped default's tracking section
import os
import torch
os.makedirs('data/side', exist_ok=True)
d = torch.load('tracker/weights/eqtrack-ien-resnet22-w025.pt', weights_only=True)
for name, f in [('ien', 'runs/campaign_w025/best.pt'), ('plain', 'runs/equal_resnet22_w025/best.pt'),
                ('p4', 'runs/equal_p4_att_w025/best.pt')]:
    e = torch.load(f, weights_only=True)
    e.pop('optimizer', None)
    e['config']['tracking'] = dict(d['config']['tracking'])
    # the README's side-by-side table was run before the default's samples widened (fifth
    # session): keep the turn filter's samples the target's own size, as they were then
    e['config']['tracking']['turn_filter_context'] = 1.0
    torch.save(e, f'data/side/{name}.pt')
    print(name, e['step'], e.get('val_auc'))
